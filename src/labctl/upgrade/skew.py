"""The Kubernetes version skew policy, as checks over the versions a cluster runs.

Source: https://kubernetes.io/releases/version-skew-policy/ (read 2026-12-04):

- kube-apiserver instances of an HA cluster are within one minor version of each other;
- kubelet and kube-proxy are never newer than the oldest kube-apiserver and at most three minor
  versions older (two when they are older than 1.25);
- kube-controller-manager and kube-scheduler are never newer than kube-apiserver and at most
  one minor version older;
- kube-apiserver is upgraded one minor version at a time (no skipping, even single-instance),
  and only when every kubelet would still be within the allowed skew of the new version.
"""

from __future__ import annotations

from collections.abc import Mapping

from labctl.kubeversion import Version

SOURCE = "https://kubernetes.io/releases/version-skew-policy/"


def _max_behind(version: Version) -> int:
    return 3 if version >= Version(1, 25, 0) else 2


def current_problems(
    apiservers: Mapping[str, Version],
    kubelets: Mapping[str, Version],
    proxies: Mapping[str, Version],
    controllers: Mapping[str, Version],
) -> list[str]:
    """What in the running versions breaks the skew policy (each a one-line reason)."""
    if not apiservers:
        return []
    problems = []
    oldest, newest = min(apiservers.values()), max(apiservers.values())
    if oldest.minors_to(newest) > 1:
        problems.append(
            f"kube-apiserver instances span {oldest.minor_name} to {newest.minor_name}: "
            "HA instances must be within one minor version"
        )
    for role, versions in (("kubelet", kubelets), ("kube-proxy", proxies)):
        for where, version in sorted(versions.items()):
            if version.minors_to(oldest) < 0:
                problems.append(
                    f"{role} on {where} is {version}, newer than kube-apiserver {oldest}: "
                    f"{role} must not be newer than kube-apiserver"
                )
            elif version.minors_to(oldest) > _max_behind(version):
                problems.append(
                    f"{role} on {where} is {version}, {version.minors_to(oldest)} minor versions "
                    f"behind kube-apiserver {oldest} (at most {_max_behind(version)} allowed): "
                    "upgrade it before the control plane"
                )
    for where, version in sorted(controllers.items()):
        behind = version.minors_to(oldest)
        if behind < 0 or behind > 1:
            problems.append(
                f"{where} is {version} with kube-apiserver {oldest}: it must match kube-apiserver "
                "or be one minor version older"
            )
    return problems


def step_problems(target: Version, kubelets: Mapping[str, Version]) -> list[str]:
    """What stops kube-apiserver from moving to `target`: kubelets too far behind it."""
    problems = []
    for node, version in sorted(kubelets.items()):
        if version.minors_to(target) > _max_behind(version):
            problems.append(
                f"kubelet on {node} is {version}: after the control plane reaches "
                f"{target.minor_name} it would be {version.minors_to(target)} minor versions "
                f"behind (at most {_max_behind(version)}); upgrade {node} first"
            )
    return problems
