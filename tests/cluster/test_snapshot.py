"""The Snapshot model: folders made by labctl or by hand with kubectl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labctl.checks.fields import SHAPES
from labctl.cluster.snapshot import NotASnapshot, Snapshot


def _kubectl_list(*items: Any) -> str:
    return json.dumps({"apiVersion": "v1", "items": list(items), "kind": "List", "metadata": {}})


def test_a_hand_made_folder_is_a_snapshot(tmp_path: Path) -> None:
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "status": {}}
    (tmp_path / "nodes.json").write_text(_kubectl_list(node))
    snap = Snapshot.load(tmp_path)
    assert snap.items("nodes") == [node]
    assert snap.items("pods") is None
    assert snap.why_missing("pods") == "not collected"
    assert abs(snap.taken_at.timestamp() - (tmp_path / "nodes.json").stat().st_mtime) < 0.001


def test_shapes_keep_only_the_fields_checks_read(tmp_path: Path) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns", "managedFields": [{"x": 1}]},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}]},
        "status": {"phase": "Running", "podIP": "10.0.0.1"},
    }
    (tmp_path / "pods.json").write_text(_kubectl_list(pod))
    (loaded,) = Snapshot.load(tmp_path, shapes=SHAPES).items("pods") or []
    assert loaded == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {"nodeName": "n1"},
        "status": {"phase": "Running"},
    }
    (whole,) = Snapshot.load(tmp_path).items("pods") or []
    assert whole == pod


def test_unreadable_files_are_gaps_not_crashes(tmp_path: Path) -> None:
    (tmp_path / "pods.json").write_text('{"kind": "Pod", "metadata": {}}')
    (tmp_path / "extras" / "vault" / "vault-0").mkdir(parents=True)
    (tmp_path / "extras" / "vault" / "vault-0" / "sys-health.json").write_text("")
    snap = Snapshot.load(tmp_path)
    assert snap.items("pods") is None
    assert "not a Kubernetes list" in snap.why_missing("pods")
    assert snap.read_extra("vault/vault-0/sys-health.json") is None
    assert snap.why_missing("vault/vault-0/sys-health.json") == "the file is not JSON (empty?)"


def test_save_and_load_keep_gaps_statuses_and_not_served(tmp_path: Path) -> None:
    snap = Snapshot(
        resources={"nodes": [], "volumes.longhorn.io": []},
        extras={"vault/vault-1/sys-health.json": {"initialized": True, "standby": True}},
        extra_statuses={"vault/vault-1/sys-health.json": 429},
        gaps={"pods": "403 Forbidden: no"},
        not_served={"volumes.longhorn.io"},
        context="lab",
    )
    snap.save(tmp_path)
    loaded = Snapshot.load(tmp_path)
    assert loaded.why_missing("pods") == "403 Forbidden: no"
    assert loaded.extra_status("vault/vault-1/sys-health.json") == 429
    assert loaded.not_served == {"volumes.longhorn.io"} and loaded.context == "lab"
    assert loaded.items("volumes.longhorn.io") == []
    assert loaded.taken_at.replace(microsecond=0) == snap.taken_at.replace(microsecond=0)


def _node(name: str, **fields: Any) -> dict[str, Any]:
    ready = [{"type": "Ready", "status": "True"}]
    return {"metadata": {"name": name}, "status": {"conditions": ready}, **fields}


def test_nulls_are_unset_and_a_bad_object_hides_only_itself(tmp_path: Path) -> None:
    """kubectl writes null for unset optional fields; a wrong type is one object's problem."""
    nodes = [
        _node("n1", spec=None),
        _node("n2", spec={"unschedulable": True}),
        _node("n3", spec={"unschedulable": "yes"}),
        _node("n4", status={"conditions": None, "nodeInfo": None}),
    ]
    (tmp_path / "nodes.json").write_text(_kubectl_list(*nodes))
    pods: list[dict[str, Any]] = [
        {"metadata": {"name": f"p{i}", "namespace": "ns"}, "status": {}} for i in range(3)
    ]
    pods[1]["status"] = {"phase": "Running", "conditions": None, "containerStatuses": [None]}
    (tmp_path / "pods.json").write_text(_kubectl_list(*pods))
    for shapes in (SHAPES, None):
        snap = Snapshot.load(tmp_path, shapes=shapes)
        loaded = snap.items("nodes") or []
        names = [n["metadata"]["name"] for n in loaded]
        assert names == (["n1", "n2", "n4"] if shapes else ["n1", "n2", "n3", "n4"])
        assert all(n["kind"] == "Node" and n["apiVersion"] == "v1" for n in loaded)
        assert "spec" not in loaded[0] and loaded[-1]["status"] == {}
        assert len(snap.items("pods") or []) == 3
        assert (snap.items("pods") or [])[1]["status"] == {
            "phase": "Running",
            "containerStatuses": [],
        }
    snap = Snapshot.load(tmp_path, shapes=SHAPES)
    assert snap.bad("nodes") == []  # nothing is read before it is asked for
    snap.items("nodes")
    (bad,) = snap.bad("nodes")
    assert (bad.ref, bad.field) == ("Node/n3", "spec.unschedulable")
    assert bad.problem == "Expected `bool`, got `str`"


def test_objects_built_in_memory_are_vetted_like_a_file(tmp_path: Path) -> None:
    """What the live collector lists goes through the same door as a file."""
    junk: Any = "junk"  # an item that is not an object at all
    snap = Snapshot(
        resources={"nodes": [_node("n1", spec=None), _node("n3", spec="x"), junk]},
        shapes=SHAPES,
    )
    assert [n["metadata"]["name"] for n in snap.items("nodes") or []] == ["n1"]
    assert [(b.ref, b.field) for b in snap.bad("nodes")] == [("Node/n3", "spec"), ("Node/?", "")]


def test_items_without_kind_get_the_kind_of_their_file(tmp_path: Path) -> None:
    sts = {"metadata": {"name": "vault", "namespace": "vault"}, "spec": {"replicas": 3}}
    (tmp_path / "statefulsets.apps.json").write_text(_kubectl_list(sts))
    (loaded,) = Snapshot.load(tmp_path, shapes=SHAPES).items("statefulsets.apps") or []
    assert (loaded["kind"], loaded["apiVersion"]) == ("StatefulSet", "apps/v1")


def test_a_folder_without_snapshot_files_is_not_a_snapshot(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text("a: 1\n")
    (tmp_path / "other.json").write_text("{}")
    with pytest.raises(NotASnapshot, match="is not a snapshot folder"):
        Snapshot.load(tmp_path)
