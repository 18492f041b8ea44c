"""PVC usage when some nodes' kubelet stats could not be read."""

from __future__ import annotations

from labctl.checks import run_checks
from labctl.cluster.snapshot import Obj, Snapshot


def _pvc(name: str) -> Obj:
    meta = {"name": name, "namespace": "db"}
    return {"kind": "PersistentVolumeClaim", "metadata": meta, "status": {"phase": "Bound"}}


def _pod(name: str, node: str, claim: str) -> Obj:
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]
    spec = {"nodeName": node, "volumes": volumes}
    return {"kind": "Pod", "metadata": {"name": name, "namespace": "db"}, "spec": spec}


def _stats(node: str, claim: str, used: int) -> Obj:
    volume = {"pvcRef": {"name": claim, "namespace": "db"}, "usedBytes": used, "capacityBytes": 100}
    return {"node": {"nodeName": node}, "pods": [{"volume": [volume]}]}


def test_only_pvcs_on_unread_nodes_are_unknown() -> None:
    snap = Snapshot(
        resources={
            "persistentvolumeclaims": [_pvc("a"), _pvc("b"), _pvc("unmounted")],
            "pods": [_pod("pa", "n1", "a"), _pod("pb", "n2", "b")],
            "volumes.longhorn.io": [],
            "persistentvolumes": [],
        },
        extras={"kubelet/n1/stats-summary.json": _stats("n1", "a", 80)},
        gaps={"extras/kubelet/n2/stats-summary.json": "node n2 is not Ready"},
    )
    report = run_checks(snap, areas=["storage"])
    unknown = {(u.check_id, u.object, u.reason) for u in report.unknowns}
    assert unknown == {
        (c, "PersistentVolumeClaim/db/b", "no kubelet stats from n2")
        for c in ("LAB-703", "LAB-704")
    }
    assert [(f.check_id, f.object) for f in report.findings] == [
        ("LAB-703", "PersistentVolumeClaim/db/a")
    ]


def test_without_pods_every_bound_pvc_without_stats_is_unknown() -> None:
    snap = Snapshot(
        resources={
            "persistentvolumeclaims": [_pvc("a"), _pvc("b")],
            "volumes.longhorn.io": [],
            "persistentvolumes": [],
        },
        extras={"kubelet/n1/stats-summary.json": _stats("n1", "a", 10)},
        gaps={"extras/kubelet/n2/stats-summary.json": "timeout after 10s"},
    )
    report = run_checks(snap, areas=["storage"], ignore=["LAB-704"])
    assert [(u.object, u.reason) for u in report.unknowns] == [
        ("PersistentVolumeClaim/db/b", "no kubelet stats from n2")
    ]
