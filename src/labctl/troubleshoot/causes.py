"""Likely causes: the health checks' findings about the objects in view, plus the event and log
patterns the checks cannot see (they judge objects, not events or logs)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from labctl.troubleshoot.view import Cause

Obj = dict[str, Any]

# (event reason, message pattern) -> what it usually means and what to do.
EVENT_PATTERNS: tuple[tuple[str, str, str, str], ...] = (
    (
        "FailedScheduling",
        r"Insufficient (cpu|memory)",
        "no node has the requested {0} free",
        "lower the requests, add a node, or free capacity (labctl health --only scaling)",
    ),
    (
        "FailedScheduling",
        r"unbound immediate PersistentVolumeClaims|persistentvolumeclaim",
        "its PVC is not bound",
        "labctl troubleshoot storage PVC -n NAMESPACE",
    ),
    (
        "FailedScheduling",
        r"taint",
        "every node has a taint the pod does not tolerate",
        "kubectl describe nodes | grep Taints; uncordon a node (labctl node uncordon NODE)",
    ),
    (
        "FailedMount",
        r"secret|configmap",
        "a Secret or ConfigMap it mounts is missing",
        "create it, or check the Vault Agent / external-secrets that should",
    ),
    (
        "FailedMount|FailedAttachVolume",
        r".",
        "its volume cannot be attached or mounted",
        "labctl troubleshoot storage PVC -n NAMESPACE (Longhorn volume robustness)",
    ),
    (
        "Unhealthy",
        r"(Liveness|Readiness|Startup) probe failed",
        "its {0} probe fails",
        "check the probe path/port and the logs; raise initialDelaySeconds if it starts slowly",
    ),
    (
        "ProvisioningFailed",
        r".",
        "the StorageClass provisioner could not create the volume",
        "check the StorageClass and the provisioner's pods (longhorn-system)",
    ),
    (
        "BackOff",
        r"pulling image",
        "the image cannot be pulled",
        "check the image name, tag and pull secret",
    ),
)

LOG_PATTERNS: tuple[tuple[str, str, str], ...] = (
    (
        r"password authentication failed|role \".*\" does not exist",
        "the database rejects its credentials (expired Vault dynamic credentials?)",
        "labctl vault db (leases), then labctl restart the deployment to render new credentials",
    ),
    (
        r"permission denied.*vault|403.*vault|vault.*permission denied",
        "Vault denies it: the policy or the Kubernetes auth role does not allow this path",
        "labctl vault configure --spec FILE (policies and roles as rendered)",
    ),
    (r"OutOfMemory|out of memory|Killed", "it runs out of memory", "raise the memory limit"),
    (
        r"connection refused|no such host|i/o timeout",
        "a dependency is unreachable (service down, DNS or a NetworkPolicy)",
        "check the target service's endpoints and the namespace's NetworkPolicies",
    ),
)


def view_command(kind: str, name: str, namespace: str | None = None) -> str:
    """The command of a troubleshooting view, as the health checks' hints spell it."""
    where = f"-n {namespace} " if namespace else ""
    return f"labctl troubleshoot {kind} {where}{name}"


def without(hint: str, here: str | None) -> str:
    """A hint minus the command of the view showing it (it would send the reader back here)."""
    if here and hint.startswith(here):
        return hint[len(here) :].lstrip(";: ")
    return hint


def from_checks(
    resources: dict[str, list[Obj]],
    areas: Iterable[str],
    objects: set[str],
    extras: dict[str, Any] | None = None,
    *,
    here: str | None = None,
) -> list[Cause]:
    """Run the health checks of `areas` over these objects; keep findings about `objects`.
    `here` is the view's own command, dropped from the hints."""
    from labctl.checks import run_checks
    from labctl.cluster.snapshot import Snapshot

    report = run_checks(Snapshot(resources=resources, extras=extras or {}), areas=list(areas))
    order = {"critical": 0, "warning": 1, "info": 2}
    findings = sorted(report.findings, key=lambda f: order.get(str(f.severity), 3))
    return [
        Cause(f"{f.check_id} {f.check_name}", f.message, without(f.hint, here))
        for f in findings
        if f.object in objects
    ]


def from_events(events: list[Obj], namespace: str = "") -> list[Cause]:
    causes: list[Cause] = []
    for event in reversed(events):  # newest first
        if event.get("type") != "Warning":
            continue
        reason, message = str(event.get("reason", "")), str(event.get("message", ""))
        for reasons, pattern, meaning, hint in EVENT_PATTERNS:
            match = re.search(pattern, message, re.IGNORECASE)
            if re.fullmatch(reasons, reason) and match:
                text = meaning.format(*(g.lower() for g in match.groups()))
                cause = Cause(f"event {reason}", text, hint.replace("NAMESPACE", namespace))
                if cause not in causes:
                    causes.append(cause)
                break
    return causes


def from_logs(lines: list[str]) -> list[Cause]:
    text = "\n".join(lines)
    return [
        Cause("logs", meaning, hint)
        for pattern, meaning, hint in LOG_PATTERNS
        if re.search(pattern, text, re.IGNORECASE)
    ]
