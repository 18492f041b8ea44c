"""Objects that cannot be read as their kind: one finding each, the rest of their file judged.

`Snapshot.items()` sets such objects aside (a wrong type where the Kubernetes API reference
defines an object, a string, a number...); nulls are not among them, they mean "unset". The
area that first reads a resource (`fields.OWNER`) reports its unreadable objects, so a bad pod
is one finding, not one per area that reads pods.
"""

from __future__ import annotations

from collections.abc import Iterator

from labctl.checks.fields import AREA_SOURCES, OWNER
from labctl.checks.model import AREAS, Severity, Subject, Verdict, check
from labctl.cluster.kinds import BY_RESOURCE
from labctl.cluster.snapshot import NotCollected, Snapshot

Results = Iterator[tuple[Subject, Verdict]]

_BAND = {area: index + 1 for index, area in enumerate(AREAS)}


def _owned(area: str) -> list[str]:
    return sorted(r for r in AREA_SOURCES[area] if OWNER.get(r) == area and r in BY_RESOURCE)


def _unreadable(area: str) -> object:
    resources = _owned(area)

    def run(snap: Snapshot) -> Results:
        collected = [r for r in resources if snap.items(r) is not None]
        if not collected:
            raise NotCollected(resources[0], snap.why_missing(resources[0]))
        for resource in collected:
            yield f"{BY_RESOURCE[resource].kind} objects", None
            for bad in snap.bad(resource):
                where = f" at {bad.field}" if bad.field else ""
                yield (
                    bad.ref,
                    f"{bad.kind} {bad.namespace + '/' if bad.namespace else ''}{bad.name} cannot "
                    f"be read{where}: {bad.problem}; the other {bad.kind} objects are still "
                    "checked",
                )

    return check(
        f"LAB-{_BAND[area]}00",
        f"{area}-object-unreadable",
        area=area,
        severity=Severity.WARNING,
        summary=f"An object the {area} checks read has a field of the wrong type (not null: "
        "null means unset); it is left out, every other object is still judged.",
        hint="kubectl get -o json on {object}: which controller (or hand) wrote this field?",
    )(run)


for _area in AREAS:
    if _owned(_area):
        _unreadable(_area)
