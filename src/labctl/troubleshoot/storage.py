"""`troubleshoot storage`: kubectl get pvc / get pv / describe pvc in one view, with the pods
that mount the claim, its Longhorn volume, and the likely cause."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from labctl.troubleshoot import causes, reads
from labctl.troubleshoot.view import Cause, View

if TYPE_CHECKING:
    from lightkube import Client

Obj = dict[str, Any]
LONGHORN_NAMESPACE = "longhorn-system"


def storage_view(client: Client, name: str, namespace: str, now: datetime | None = None) -> View:

    now = now or reads.now()
    pvc = reads.get(client, "PersistentVolumeClaim", name, namespace)
    spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
    volume_name = spec.get("volumeName")
    pv = _optional(client, "PersistentVolume", volume_name)
    longhorn = _optional(client, "LonghornVolume", volume_name, LONGHORN_NAMESPACE)
    pods = [
        p
        for p in reads.list_dicts(client, "Pod", namespace)
        if any(
            (v.get("persistentVolumeClaim") or {}).get("claimName") == name
            for v in (p.get("spec") or {}).get("volumes") or []
        )
    ]
    users = [p["metadata"]["name"] for p in pods]
    stats = _kubelet_stats(client, {(p.get("spec") or {}).get("nodeName") for p in pods})
    events = reads.events_for(client, "PersistentVolumeClaim", name, namespace)
    view = View(f"PersistentVolumeClaim {namespace}/{name}")
    view.facts = [
        ("Phase", str(status.get("phase", "?"))),
        ("StorageClass", str(spec.get("storageClassName") or "(default)")),
        ("Requested", str(((spec.get("resources") or {}).get("requests") or {}).get("storage"))),
        ("Capacity", str((status.get("capacity") or {}).get("storage", "-"))),
        ("Used", _usage(stats, namespace, name)),
        ("Access modes", ", ".join(spec.get("accessModes") or [])),
        ("Volume", str(volume_name or "(none bound)")),
        ("Used by pods", ", ".join(users) or "none"),
    ]
    view.section("PersistentVolume", _pv_lines(pv))
    view.section("Longhorn volume", _longhorn_lines(longhorn), empty="not a Longhorn volume")
    view.section("Events (oldest first)", reads.event_lines(events, now))
    view.causes = (
        causes.from_checks(
            {"persistentvolumeclaims": [pvc]},
            ["storage"],
            {f"PersistentVolumeClaim/{namespace}/{name}"},
            extras=stats,
            here=causes.view_command("storage", name, namespace),
        )
        + _longhorn_causes(longhorn)
        + causes.from_events(events, namespace)
    )
    return view


def _optional(
    client: Client, kind: str, name: str | None, namespace: str | None = None
) -> Obj | None:
    from lightkube import ApiError

    if not name:
        return None
    try:
        return reads.get(client, kind, name, namespace)
    except ApiError:
        return None  # not found, or the CRD is not installed


def _kubelet_stats(client: Client, nodes: set[str | None]) -> dict[str, Any]:
    """stats/summary of the nodes running the claim's pods, keyed as in a health snapshot."""
    from labctl.cluster.client import node_proxy_path, proxy_get

    found: dict[str, Any] = {}
    for node in sorted(n for n in nodes if n):
        response = proxy_get(client, node_proxy_path(node, "stats/summary"))
        if response.status == 200:
            found[f"kubelet/{node}/stats-summary.json"] = response.json()
    return found


def _usage(stats: dict[str, Any], namespace: str, name: str) -> str:
    from labctl.cluster.snapshot import iter_pvc_volumes

    for summary in stats.values():
        for volume in iter_pvc_volumes(summary):
            ref = volume["pvcRef"]
            used, capacity = volume.get("usedBytes"), volume.get("capacityBytes")
            if (ref.get("namespace"), ref.get("name")) == (namespace, name) and used and capacity:
                return f"{used / capacity:.0%} ({used // 2**20} of {capacity // 2**20} MiB)"
    return "unknown (no kubelet stats for it)"


def _pv_lines(pv: Obj | None) -> list[str]:
    if pv is None:
        return []
    spec, status = pv.get("spec") or {}, pv.get("status") or {}
    return [
        f"{pv['metadata']['name']}: {status.get('phase', '?')}, "
        f"reclaim {spec.get('persistentVolumeReclaimPolicy', '?')}, "
        f"capacity {(spec.get('capacity') or {}).get('storage', '?')}"
    ]


def _longhorn_lines(volume: Obj | None) -> list[str]:
    if volume is None:
        return []
    status, spec = volume.get("status") or {}, volume.get("spec") or {}
    return [
        f"state {status.get('state', '?')}, robustness {status.get('robustness', '?')}, "
        f"replicas {spec.get('numberOfReplicas', '?')}, on {status.get('currentNodeID') or '-'}"
    ]


def _longhorn_causes(volume: Obj | None) -> list[Cause]:
    robustness = ((volume or {}).get("status") or {}).get("robustness")
    if robustness == "faulted":
        return [
            Cause(
                "longhorn",
                "its Longhorn volume is faulted: no healthy replica",
                "salvage it in the Longhorn UI, or restore from a backup (labctl backup)",
            )
        ]
    if robustness == "degraded":
        return [
            Cause(
                "longhorn",
                "its Longhorn volume is degraded (fewer healthy replicas)",
                "expected briefly during a drain; otherwise check the Longhorn nodes",
            )
        ]
    return []
