"""What a check is, what it finds, and the registry that holds every check.

A check is a pure function of the snapshot, registered with `@check(...)`. It yields one pair
per object it evaluated: `(subject, None)` when the object is fine, `(subject, "message")` when
it is not, or `(subject, Unknown("why"))` when the object could not be judged. The subject is a
Kubernetes object (its kind/namespace/name becomes the finding's object) or a string naming it.
A check that lacks a whole input calls `snapshot.require(...)`, which raises `NotCollected`;
the runner turns that into an unknown result for the check's area.

Ids, severities and hints live in the registration, not in the function body, so `labctl checks`
and docs/health.md list them without running anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from labctl.cluster.snapshot import Snapshot

Obj = dict[str, Any]


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


class Status(StrEnum):
    """An area's result, ordered from best to worst for exit-code purposes."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"


AREAS: tuple[str, ...] = (
    "nodes",
    "workloads",
    "vault",
    "argocd",
    "backups",
    "certificates",
    "storage",
    "scaling",
    "alerts",
)


@dataclass(frozen=True)
class Unknown:
    """Yielded instead of a message when one object cannot be judged (its data is missing)."""

    reason: str


Subject = Obj | str
Verdict = str | Unknown | None
CheckFunction = Callable[[Snapshot], Iterable[tuple[Subject, Verdict]]]


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    area: str
    severity: Severity
    summary: str
    hint: str
    function: CheckFunction


@dataclass(frozen=True)
class Finding:
    """One problem: which check, how bad, on what, what is wrong and what to do about it."""

    check_id: str
    check_name: str
    severity: Severity
    area: str
    object: str
    message: str
    hint: str


REGISTRY: dict[str, Check] = {}


def check(
    id: str, name: str, *, area: str, severity: Severity, summary: str, hint: str
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check. `hint` may use {name}, {namespace} and {object} of the subject."""
    if area not in AREAS:
        raise ValueError(f"unknown area {area!r}")

    def register(function: CheckFunction) -> CheckFunction:
        if id in REGISTRY or any(c.name == name for c in REGISTRY.values()):
            raise ValueError(f"check {id} ({name}) is registered twice")
        REGISTRY[id] = Check(id, name, area, severity, summary, hint, function)
        return function

    return register


def object_ref(subject: Subject) -> str:
    """`Kind/namespace/name` for an object, or the subject string itself."""
    if isinstance(subject, str):
        return subject
    meta = subject.get("metadata") or {}
    parts = [subject.get("kind") or "Object", meta.get("namespace"), meta.get("name")]
    return "/".join(p for p in parts if p)
