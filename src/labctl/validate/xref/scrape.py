"""Scrape targets that cannot answer: kubeadm control-plane components bound to loopback.

kubeadm starts kube-controller-manager and kube-scheduler with `--bind-address=127.0.0.1`,
etcd with `--listen-metrics-urls=http://127.0.0.1:2381`, and kube-proxy with
`metricsBindAddress: 127.0.0.1:10249`, unless its configuration moves them. A ServiceMonitor
(or PodMonitor) for them then gets "connection refused" from every node: a target that is
always down. The tree says why when it holds the kubeadm configuration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from labctl.validate.tree import Manifest, Tree
from labctl.validate.xref.workloads import matches, service_matches

Issue = tuple[str, str, str]
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True)
class Component:
    name: str
    labels: dict[str, str]  # labels kubeadm gives its pods
    setting: str  # where the kubeadm configuration moves the address


COMPONENTS = (
    Component(
        "kube-controller-manager",
        {"component": "kube-controller-manager", "tier": "control-plane"},
        "ClusterConfiguration controllerManager.extraArgs bind-address",
    ),
    Component(
        "kube-scheduler",
        {"component": "kube-scheduler", "tier": "control-plane"},
        "ClusterConfiguration scheduler.extraArgs bind-address",
    ),
    Component(
        "etcd",
        {"component": "etcd", "tier": "control-plane"},
        "ClusterConfiguration etcd.local.extraArgs listen-metrics-urls",
    ),
    Component("kube-proxy", {"k8s-app": "kube-proxy"}, "KubeProxyConfiguration metricsBindAddress"),
)


def _extra_arg(section: dict[str, Any], name: str) -> str | None:
    """An extraArgs value: a list of {name, value} (kubeadm v1beta4) or a map (v1beta3)."""
    args = section.get("extraArgs") or {}
    if isinstance(args, dict):
        return str(args[name]) if name in args else None
    values = [
        str(a.get("value", "")) for a in args if isinstance(a, dict) and a.get("name") == name
    ]
    return values[-1] if values else None


def bound_address(tree: Tree, component: str) -> str | None:
    """Where kubeadm makes `component` listen for metrics; None without a kubeadm config."""
    config = next(tree.of_kind("ClusterConfiguration"), None)
    if config is None:
        return None
    obj = config.obj
    if component == "kube-controller-manager":
        return _extra_arg(obj.get("controllerManager") or {}, "bind-address") or "127.0.0.1"
    if component == "kube-scheduler":
        return _extra_arg(obj.get("scheduler") or {}, "bind-address") or "127.0.0.1"
    if component == "etcd":
        local = (obj.get("etcd") or {}).get("local") or {}
        return _extra_arg(local, "listen-metrics-urls") or "http://127.0.0.1:2381"
    proxy = next(tree.of_kind("KubeProxyConfiguration"), None)
    address = (proxy.obj.get("metricsBindAddress") if proxy else None) or "127.0.0.1:10249"
    return str(address)


def _loopback_only(address: str) -> bool:
    hosts = [part.split("://")[-1].rsplit(":", 1)[0] for part in address.split(",")]
    return all(host in LOOPBACK for host in hosts)


def _namespaces(monitor: Manifest) -> set[str] | None:
    """The namespaces a monitor looks in; None for all of them."""
    selector = (monitor.obj.get("spec") or {}).get("namespaceSelector") or {}
    if selector.get("any") is True:
        return None
    return set(selector.get("matchNames") or [monitor.namespace])


def _targets(tree: Tree, monitor: Manifest) -> Iterator[tuple[Component, str]]:
    """The kubeadm components a monitor scrapes, with what it selects them through."""
    spec = monitor.obj.get("spec") or {}
    namespaces = _namespaces(monitor)
    for component in COMPONENTS:
        if monitor.kind == "PodMonitor":
            if matches(spec.get("selector"), component.labels):
                yield component, "its pod selector"
            continue
        for service in tree.of_kind("Service"):
            if namespaces is not None and service.namespace not in namespaces:
                continue
            labels = service.obj.get("metadata", {}).get("labels") or {}
            selector = (service.obj.get("spec") or {}).get("selector") or {}
            if (
                selector
                and matches(spec.get("selector"), labels)
                and service_matches(selector, component.labels)
            ):
                yield component, f"Service {service.namespace}/{service.name}"


def scrape_targets_answer(tree: Tree) -> Iterator[Issue]:
    for monitor in tree.of_kind("ServiceMonitor", "PodMonitor"):
        for component, via in _targets(tree, monitor):
            address = bound_address(tree, component.name)
            if address is None or not _loopback_only(address):
                continue
            yield (
                "scrape-loopback",
                monitor.ref,
                f"scrapes {component.name} (through {via}), which the tree's kubeadm "
                f"configuration leaves listening on {address} only: the target is always "
                f"down. Move it with {component.setting}, or turn the monitor off",
            )
