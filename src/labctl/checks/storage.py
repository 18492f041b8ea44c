"""Storage: PersistentVolumeClaims not bound, and PVC usage from kubelet stats."""

from __future__ import annotations

from collections.abc import Iterator

from labctl.checks._objects import qualified, spec, status
from labctl.checks.model import Severity, Subject, Unknown, Verdict, check
from labctl.cluster.snapshot import NotCollected, Obj, Snapshot, iter_pvc_volumes

Results = Iterator[tuple[Subject, Verdict]]

USAGE_WARNING = 0.75  # the seed's PVCNearCapacity alert threshold
USAGE_CRITICAL = 0.90


def _pvcs(snap: Snapshot) -> list[Obj]:
    return snap.require("persistentvolumeclaims")


@check(
    "LAB-701",
    "pvc-pending",
    area="storage",
    severity=Severity.WARNING,
    summary="A PersistentVolumeClaim is Pending (no volume provisioned or bound); the message "
    "gives the provisioner's newest ProvisioningFailed event.",
    hint="labctl troubleshoot storage -n {namespace} {name}: StorageClass and provisioner",
)
def pvc_pending(snap: Snapshot) -> Results:
    failures = snap.derived("storage.provisioning-failed", _provisioning_failures)
    for pvc in _pvcs(snap):
        if status(pvc).get("phase") != "Pending":
            yield pvc, None
            continue
        meta = pvc.get("metadata") or {}
        event = failures.get((meta.get("namespace", ""), meta.get("name", "")))
        why = f": ProvisioningFailed: {event.get('message')}" if event else ""
        yield pvc, f"PVC {qualified(pvc)} is Pending{why}"


def _provisioning_failures(snap: Snapshot) -> dict[tuple[str, str], Obj]:
    """The newest ProvisioningFailed event per PVC (none when events were not collected)."""
    newest: dict[tuple[str, str], Obj] = {}
    for event in snap.items("events") or []:
        involved = event.get("involvedObject") or {}
        if event.get("reason") != "ProvisioningFailed" or involved.get("kind") not in (
            "PersistentVolumeClaim",
            None,
        ):
            continue
        key = (str(involved.get("namespace", "")), str(involved.get("name", "")))
        when = str(event.get("lastTimestamp") or event.get("eventTime") or "")
        seen = newest.get(key)
        if seen is None or when > str(seen.get("lastTimestamp") or seen.get("eventTime") or ""):
            newest[key] = event
    return newest


@check(
    "LAB-702",
    "pvc-lost",
    area="storage",
    severity=Severity.CRITICAL,
    summary="A PersistentVolumeClaim is Lost: its PersistentVolume is gone.",
    hint="labctl troubleshoot storage -n {namespace} {name}; restore with labctl backup restore",
)
def pvc_lost(snap: Snapshot) -> Results:
    for pvc in _pvcs(snap):
        lost = status(pvc).get("phase") == "Lost"
        yield pvc, f"PVC {qualified(pvc)} is Lost (its volume is gone)" if lost else None


def _usage(snap: Snapshot) -> dict[tuple[str, str], float]:
    """Used fraction per (namespace, pvc) from every node's kubelet stats/summary."""
    paths = [p for p in snap.extra_paths("kubelet/") if p.endswith("/stats-summary.json")]
    if not paths:
        raise NotCollected("kubelet", snap.why_missing("kubelet"))
    usage: dict[tuple[str, str], float] = {}
    for path in paths:
        summary = snap.read_extra(path)
        for volume in iter_pvc_volumes(summary or {}):
            used, capacity = volume.get("usedBytes"), volume.get("capacityBytes")
            if used is None or not capacity:
                continue
            ref = volume["pvcRef"]
            usage[(ref.get("namespace", ""), ref.get("name", ""))] = used / capacity
    return usage


def _unread_nodes(snap: Snapshot) -> list[str]:
    return [
        p.split("/")[1]
        for p in snap.extra_paths("kubelet/")
        if p.endswith("/stats-summary.json") and snap.read_extra(p) is None
    ]


def _claim_nodes(snap: Snapshot) -> dict[tuple[str, str], set[str]] | None:
    """The nodes whose pods mount each PVC, or None when pods were not collected."""
    pods = snap.items("pods")
    if pods is None:
        return None
    nodes: dict[tuple[str, str], set[str]] = {}
    for pod in pods:
        ns, node = (pod.get("metadata") or {}).get("namespace", ""), spec(pod).get("nodeName")
        for volume in spec(pod).get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim and node:
                nodes.setdefault((ns, claim), set()).add(node)
    return nodes


def _usage_results(snap: Snapshot, low: float, high: float | None) -> Results:
    usage = _usage(snap)
    unread = set(_unread_nodes(snap))
    mounts = snap.derived("storage.claim-nodes", _claim_nodes)
    for pvc in _pvcs(snap):
        meta = pvc.get("metadata") or {}
        key = (meta.get("namespace", ""), meta.get("name", ""))
        used = usage.get(key)
        if used is None:
            # No stats: fine if no running pod mounts it; unknown if its node was not read.
            suspects = unread if mounts is None else mounts.get(key, set()) & unread
            missing = status(pvc).get("phase") == "Bound" and suspects
            why = f"no kubelet stats from {', '.join(sorted(suspects))}"
            yield pvc, Unknown(why) if missing else None
        elif used >= low and (high is None or used < high):
            yield pvc, f"PVC {qualified(pvc)} is {used:.0%} full"
        else:
            yield pvc, None


@check(
    "LAB-703",
    "pvc-usage-high",
    area="storage",
    severity=Severity.WARNING,
    summary=f"A PVC is {USAGE_WARNING:.0%} to {USAGE_CRITICAL:.0%} full (kubelet stats/summary).",
    hint="expand the PVC (kubectl patch pvc -n {namespace} {name}) or clean up data",
)
def pvc_usage_high(snap: Snapshot) -> Results:
    yield from _usage_results(snap, USAGE_WARNING, USAGE_CRITICAL)


@check(
    "LAB-704",
    "pvc-usage-critical",
    area="storage",
    severity=Severity.CRITICAL,
    summary=f"A PVC is {USAGE_CRITICAL:.0%} full or more: writes will soon fail.",
    hint="expand the PVC now (kubectl patch pvc -n {namespace} {name}) or clean up data",
)
def pvc_usage_critical(snap: Snapshot) -> Results:
    yield from _usage_results(snap, USAGE_CRITICAL, None)


def _volumes(snap: Snapshot) -> list[Obj]:
    return snap.require("volumes.longhorn.io")


def _robustness(snap: Snapshot, wanted: str) -> Results:
    for volume in _volumes(snap):
        st = status(volume)
        if st.get("robustness") != wanted:
            yield volume, None
            continue
        k8s = st.get("kubernetesStatus") or {}
        claim = f" (PVC {k8s['namespace']}/{k8s['pvcName']})" if k8s.get("pvcName") else ""
        replicas = (volume.get("spec") or {}).get("numberOfReplicas")
        wants = f", {replicas} replicas wanted" if replicas else ""
        yield volume, f"Longhorn volume {qualified(volume)}{claim} is {wanted}{wants}"


@check(
    "LAB-705",
    "longhorn-volume-degraded",
    area="storage",
    severity=Severity.WARNING,
    summary="A Longhorn volume is degraded: fewer healthy replicas than it wants (expected "
    "briefly during a drain or rebuild).",
    hint="labctl troubleshoot storage names the PVC; check the Longhorn nodes and disks",
)
def longhorn_volume_degraded(snap: Snapshot) -> Results:
    yield from _robustness(snap, "degraded")


@check(
    "LAB-706",
    "longhorn-volume-faulted",
    area="storage",
    severity=Severity.CRITICAL,
    summary="A Longhorn volume is faulted: no healthy replica, its data is unavailable.",
    hint="salvage it in the Longhorn UI (Volume > Salvage) or restore with labctl backup restore",
)
def longhorn_volume_faulted(snap: Snapshot) -> Results:
    yield from _robustness(snap, "faulted")


@check(
    "LAB-707",
    "pv-released-or-failed",
    area="storage",
    severity=Severity.WARNING,
    summary="A PersistentVolume is Released (its claim was deleted; Retain keeps the data and "
    "the volume is not reused) or Failed (automatic reclamation failed).",
    hint="kubectl describe pv {name}: back up what it holds, then delete it or clear its claimRef",
)
def pv_released_or_failed(snap: Snapshot) -> Results:
    for volume in snap.require("persistentvolumes"):
        phase = status(volume).get("phase")
        if phase not in ("Released", "Failed"):
            yield volume, None
            continue
        claim = spec(volume).get("claimRef") or {}
        was = f" (was {claim.get('namespace')}/{claim.get('name')})" if claim.get("name") else ""
        why = f": {status(volume)['message']}" if status(volume).get("message") else ""
        yield volume, f"PersistentVolume {qualified(volume)} is {phase}{was}{why}"
