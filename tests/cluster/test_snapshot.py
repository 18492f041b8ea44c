"""The Snapshot model: folders made by labctl or by hand with kubectl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from labctl.checks.fields import SHAPES
from labctl.cluster.snapshot import Snapshot


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
