"""A null in any optional field of any object never hides another object (issue: one
`spec: null` on a node used to make the whole nodes area unknown)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labctl.checks import Report, run_checks
from labctl.checks.fields import SHAPES
from labctl.cluster.kinds import SNAPSHOT_KINDS
from labctl.cluster.snapshot import Snapshot

HOMELAB = Path(__file__).parents[2] / "examples" / "snapshots" / "homelab"
NAMING = {"apiVersion", "kind", "metadata"}  # what names the object, not an optional field


SOURCE = Snapshot.load(HOMELAB)
OBJECTS = {k.resource: SOURCE.items(k.resource) or [] for k in SNAPSHOT_KINDS}
EXTRAS = {p: SOURCE.read_extra(p) for p in SOURCE.extra_paths("")}


def _paths(obj: dict[str, Any], depth: int = 2) -> Iterator[tuple[str, ...]]:
    """Every field of `obj` down to `depth` levels (a representative object per kind)."""
    for key, value in obj.items():
        if key in NAMING:
            continue
        yield (key,)
        if depth > 1 and isinstance(value, dict):
            yield from ((key, *rest) for rest in _paths(value, depth - 1))


def _cases() -> list[tuple[str, tuple[str, ...]]]:
    cases = []
    for kind in SNAPSHOT_KINDS:
        objects = OBJECTS[kind.resource]
        if objects:
            cases += [(kind.resource, path) for path in _paths(objects[0])]
    return cases


def _with_null(resource: str, path: tuple[str, ...]) -> tuple[Snapshot, str]:
    """The homelab snapshot as a folder would give it, with `path` null in one object."""
    resources = dict(OBJECTS)  # checks only read: the other kinds' objects are shared
    resources[resource] = [copy.deepcopy(OBJECTS[resource][0]), *OBJECTS[resource][1:]]
    target = resources[resource][0]
    holder = target
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = None
    snap = Snapshot(
        resources=resources,
        extras=EXTRAS,
        extra_statuses=SOURCE.extra_statuses,
        taken_at=SOURCE.taken_at,
        shapes=SHAPES,
    )
    meta = target["metadata"]
    ref = "/".join(p for p in (target["kind"], meta.get("namespace"), meta["name"]) if p)
    return snap, ref


def _others(report: Report, ref: str) -> set[tuple[str, str]]:
    return {(f.check_id, f.object) for f in report.findings if f.object != ref}


BASELINE = run_checks(Snapshot.load(HOMELAB))


@pytest.mark.parametrize(
    ("resource", "path"), _cases(), ids=lambda v: ".".join(v) if isinstance(v, tuple) else v
)
def test_a_null_field_hides_no_other_object(resource: str, path: tuple[str, ...]) -> None:
    """Nothing found on another object goes missing, and only the object itself may become
    unknown (a Schedule without spec.schedule cannot be judged). New findings elsewhere can be
    right: an EndpointSlice without endpoints leaves its Service without any."""
    snap, ref = _with_null(resource, path)
    report = run_checks(snap)
    assert _others(BASELINE, ref) <= _others(report, ref)
    assert not any(f.check_id.endswith("00") for f in report.findings)  # null is not "bad"
    assert all(u.object == ref for u in report.unknowns)
