"""Fixture snapshots for check tests: one YAML file, several documents.

Each document is a Kubernetes object (filed under its kind's resource), a
`{kind: List, resource, items}` list as the API server sends it (items without `kind`), an
`{kind: Extra, path, body, status?}` extras body, or
`{kind: SnapshotMeta, takenAt, serverVersion?, notServed?}`.
Every kind labctl collects counts as collected (empty unless objects are given); extras
count only when present, as in a live snapshot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import yaml

from labctl.checks.fields import SHAPES
from labctl.cluster.kinds import BY_KIND, SNAPSHOT_KINDS
from labctl.cluster.snapshot import Snapshot, decode_items, parse_time

_RESOURCE = {(k.api_version, k.kind): k.resource for k in SNAPSHOT_KINDS}


def snapshot_of(docs: list[dict[str, Any]]) -> Snapshot:
    snap = Snapshot(resources={k.resource: [] for k in SNAPSHOT_KINDS})
    for doc in docs:
        if doc["kind"] == "SnapshotMeta":
            snap.taken_at = parse_time(doc["takenAt"]) or snap.taken_at
            snap.server_version = doc.get("serverVersion")
            snap.not_served = set(doc.get("notServed", []))
        elif doc["kind"] == "List":
            snap.resources[doc["resource"]].extend(doc["items"])
        elif doc["kind"] == "Extra":
            snap.extras[doc["path"]] = doc["body"]
            if "status" in doc:
                snap.extra_statuses[doc["path"]] = doc["status"]
        else:
            key = (doc.get("apiVersion", ""), doc["kind"])
            snap.resources[_RESOURCE.get(key) or BY_KIND[doc["kind"]].resource].append(doc)
    return snap


def load_fixture(path: Path) -> Snapshot:
    return snapshot_of([d for d in yaml.safe_load_all(path.read_text()) if d])


def projected(snap: Snapshot) -> Snapshot:
    """The snapshot as `labctl health --snapshot` reads it: only the fields in SHAPES."""
    decoded = {
        resource: decode_items(resource, msgspec.json.encode({"items": items}), SHAPES[resource])
        for resource, items in snap.resources.items()
    }
    return Snapshot(
        resources={resource: d.items for resource, d in decoded.items()},
        bad_objects={resource: d.bad for resource, d in decoded.items() if d.bad},
        extras=snap.extras,
        extra_statuses=snap.extra_statuses,
        taken_at=snap.taken_at,
        server_version=snap.server_version,
        not_served=snap.not_served,
    )
