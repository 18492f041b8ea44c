"""Nodes: readiness, pressure, network, cordons and kubelet version skew."""

from __future__ import annotations

import re
from collections.abc import Iterator

from labctl.checks._objects import condition, name, spec, status
from labctl.checks.model import Severity, Subject, Verdict, check
from labctl.cluster.snapshot import Snapshot

Results = Iterator[tuple[Subject, Verdict]]


@check(
    "LAB-101",
    "node-not-ready",
    area="nodes",
    severity=Severity.CRITICAL,
    summary="Node condition Ready is False or Unknown (no kubelet heartbeat).",
    hint="labctl troubleshoot node {name}; then check the kubelet (systemctl status kubelet)",
)
def node_not_ready(snap: Snapshot) -> Results:
    for node in snap.require("nodes"):
        ready = condition(node, "Ready")
        if ready is not None and ready.get("status") == "True":
            yield node, None
            continue
        state = "Unknown" if ready is None else ready.get("status")
        why = f" ({ready.get('reason')})" if ready and ready.get("reason") else ""
        label = "NotReady" if state == "False" else "Unknown"
        yield node, f"node {name(node)} is {label}{why}"


@check(
    "LAB-102",
    "node-pressure",
    area="nodes",
    severity=Severity.WARNING,
    summary="Node reports MemoryPressure, DiskPressure or PIDPressure.",
    hint="labctl troubleshoot node {name}; free memory/disk or move workloads off the node",
)
def node_pressure(snap: Snapshot) -> Results:
    for node in snap.require("nodes"):
        pressed = [
            t
            for t in ("MemoryPressure", "DiskPressure", "PIDPressure")
            if (condition(node, t) or {}).get("status") == "True"
        ]
        yield node, f"node {name(node)} has {', '.join(pressed)}" if pressed else None


@check(
    "LAB-103",
    "node-network-unavailable",
    area="nodes",
    severity=Severity.CRITICAL,
    summary="Node condition NetworkUnavailable is True (the CNI has not set up its network).",
    hint="check the CNI pods on {name}: kubectl get pods -A -o wide --field-selector "
    "spec.nodeName={name}",
)
def node_network_unavailable(snap: Snapshot) -> Results:
    for node in snap.require("nodes"):
        down = (condition(node, "NetworkUnavailable") or {}).get("status") == "True"
        yield node, f"node {name(node)} has NetworkUnavailable" if down else None


@check(
    "LAB-104",
    "node-cordoned",
    area="nodes",
    severity=Severity.WARNING,
    summary="Node is cordoned (spec.unschedulable): no new pods are scheduled on it.",
    hint="labctl node uncordon {name} when maintenance is over",
)
def node_cordoned(snap: Snapshot) -> Results:
    for node in snap.require("nodes"):
        cordoned = bool(spec(node).get("unschedulable"))
        yield node, f"node {name(node)} is cordoned (SchedulingDisabled)" if cordoned else None


def _minor(version: str | None) -> tuple[int, int] | None:
    match = re.match(r"v?(\d+)\.(\d+)", version or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


@check(
    "LAB-105",
    "kubelet-version-skew",
    area="nodes",
    severity=Severity.WARNING,
    summary="A kubelet's minor version differs from the control plane (or the newest node).",
    hint="upgrade the kubelet on {name} to the control plane's version (kubeadm upgrade node)",
)
def kubelet_version_skew(snap: Snapshot) -> Results:
    nodes = snap.require("nodes")
    versions = {name(n): (status(n).get("nodeInfo") or {}).get("kubeletVersion") for n in nodes}
    reference = snap.server_version or max(
        (v for v in versions.values() if _minor(v)), key=lambda v: _minor(v) or (0, 0), default=None
    )
    target = _minor(reference)
    for node in nodes:
        version = versions[name(node)]
        mine = _minor(version)
        if target is None or mine is None or mine == target:
            yield node, None
            continue
        side = "control plane" if snap.server_version else "newest node"
        yield node, f"kubelet {version} on node {name(node)} differs from the {side} ({reference})"


STANDARD_CONDITIONS = frozenset(
    {"Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"}
)


@check(
    "LAB-106",
    "node-problem-condition",
    area="nodes",
    severity=Severity.WARNING,
    summary="A node reports a non-standard condition True (node-problem-detector's "
    "KernelDeadlock, ReadonlyFilesystem, FrequentKubeletRestart, ...: True means the problem).",
    hint="labctl troubleshoot node {name}; the condition's message names what the detector saw",
)
def node_problem_condition(snap: Snapshot) -> Results:
    for node in snap.require("nodes"):
        problems = [
            f"{c.get('type')}" + (f" ({c['reason']})" if c.get("reason") else "")
            for c in status(node).get("conditions") or []
            if c.get("type") not in STANDARD_CONDITIONS and c.get("status") == "True"
        ]
        yield node, f"node {name(node)} reports {', '.join(problems)}" if problems else None
