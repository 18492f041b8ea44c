"""Run the registered checks over a snapshot and summarise them as a `Report`."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from labctl.checks.model import (
    AREAS,
    REGISTRY,
    Check,
    Finding,
    Severity,
    Status,
    Subject,
    Unknown,
    object_ref,
)
from labctl.cluster.snapshot import NotCollected, Snapshot

_MODULES = (
    "nodes",
    "workloads",
    "vault",
    "argocd",
    "backups",
    "etcd",
    "certificates",
    "storage",
    "scaling",
    "alerts",
    "jobs",
    "network",
    "unreadable",
)


def all_checks() -> list[Check]:
    """Every registered check, in id order (importing the area modules registers them)."""
    for module in _MODULES:
        importlib.import_module(f"labctl.checks.{module}")
    return sorted(REGISTRY.values(), key=lambda c: c.id)


@dataclass(frozen=True)
class UnknownResult:
    """A check (or one object of it) that could not be judged, and why."""

    check_id: str
    area: str
    object: str | None
    reason: str


@dataclass(frozen=True)
class CheckRun:
    check_id: str
    evaluated: int
    failed: int
    unknown: bool


@dataclass
class Report:
    """The result of a run: findings, unknowns, per-area status, and the exit code."""

    findings: list[Finding] = field(default_factory=list)
    unknowns: list[UnknownResult] = field(default_factory=list)
    runs: list[CheckRun] = field(default_factory=list)
    areas: tuple[str, ...] = AREAS

    @property
    def status_by_area(self) -> dict[str, Status]:
        result = dict.fromkeys(self.areas, Status.OK)
        for finding in self.findings:
            if finding.severity is Severity.CRITICAL:
                result[finding.area] = Status.CRITICAL
            elif finding.severity is Severity.WARNING and result[finding.area] is Status.OK:
                result[finding.area] = Status.WARNING
        for unknown in self.unknowns:
            if result[unknown.area] is not Status.CRITICAL:
                result[unknown.area] = Status.UNKNOWN
        return result

    @property
    def exit_code(self) -> int:
        """0 healthy, 1 warnings, 2 critical, 3 some areas unknown (critical wins over unknown)."""
        statuses = set(self.status_by_area.values())
        if Status.CRITICAL in statuses:
            return 2
        if Status.UNKNOWN in statuses:
            return 3
        if Status.WARNING in statuses:
            return 1
        return 0

    def summary(self) -> str:
        counts = {s: sum(1 for f in self.findings if f.severity is s) for s in Severity}
        unknown = [a for a, s in self.status_by_area.items() if s is Status.UNKNOWN]
        parts = [f"{counts[Severity.CRITICAL]} critical", f"{counts[Severity.WARNING]} warning"]
        if counts[Severity.INFO]:
            parts.append(f"{counts[Severity.INFO]} info")
        checked = len(self.areas) - len(unknown)
        text = f"{', '.join(parts)} in {checked} of {len(self.areas)} areas"
        return text + (f"; unknown: {', '.join(unknown)}" if unknown else "")


def _hint(check: Check, subject: Subject) -> str:
    if isinstance(subject, str):
        parts = subject.split("/")
        values = {"name": parts[-1], "namespace": parts[1] if len(parts) == 3 else "", "kind": ""}
    else:
        meta = subject.get("metadata") or {}
        values = {
            "name": meta.get("name", ""),
            "namespace": meta.get("namespace", ""),
            "kind": str(subject.get("kind", "")).lower(),
        }
    return check.hint.format(object=object_ref(subject), **values)


def _select(checks: list[Check], areas: Iterable[str] | None, ignore: Iterable[str]) -> list[Check]:
    wanted = set(areas) if areas else None
    unknown = (wanted or set()) - set(AREAS)
    if unknown:
        raise ValueError(f"unknown area {', '.join(sorted(unknown))}; areas: {', '.join(AREAS)}")
    skipped = set(ignore)
    known_ids = {c.id for c in checks} | {c.name for c in checks}
    bad = skipped - known_ids
    if bad:
        raise ValueError(f"unknown check {', '.join(sorted(bad))}; see `labctl checks`")
    return [
        c
        for c in checks
        if (wanted is None or c.area in wanted) and c.id not in skipped and c.name not in skipped
    ]


def run_checks(
    snapshot: Snapshot, areas: Iterable[str] | None = None, ignore: Iterable[str] = ()
) -> Report:
    """Run every check (or those of `areas`, minus ids/names in `ignore`) over `snapshot`."""
    if not snapshot.shapes:
        from labctl.checks.fields import SHAPES

        snapshot.shapes = SHAPES  # objects built in memory are vetted as a file's would be
    area_list = tuple(areas) if areas else None
    selected = _select(all_checks(), area_list, ignore)
    report = Report(areas=tuple(a for a in AREAS if area_list is None or a in area_list))
    for check in selected:
        _run_one(check, snapshot, report)
    return report


def _run_one(check: Check, snapshot: Snapshot, report: Report) -> None:
    evaluated = failed = 0
    unknown = False
    try:
        for subject, verdict in check.function(snapshot):
            evaluated += 1
            if verdict is None:
                continue
            if isinstance(verdict, Unknown):
                unknown = True
                report.unknowns.append(
                    UnknownResult(check.id, check.area, object_ref(subject), verdict.reason)
                )
                continue
            failed += 1
            report.findings.append(
                Finding(
                    check.id,
                    check.name,
                    check.severity,
                    check.area,
                    object_ref(subject),
                    verdict,
                    _hint(check, subject),
                )
            )
    except NotCollected as missing:
        unknown = True
        report.unknowns.append(
            UnknownResult(check.id, check.area, None, f"{missing.source}: {missing.reason}")
        )
    except (AttributeError, TypeError, ValueError, KeyError) as error:
        # A free-form part (a CRD's spec) of the wrong type, which no shape validates: this
        # check cannot judge, the others still run; never a traceback.
        unknown = True
        reason = f"the check failed on unexpected data: {type(error).__name__}: {error}"
        report.unknowns.append(UnknownResult(check.id, check.area, None, reason))
    report.runs.append(CheckRun(check.id, evaluated, failed, unknown))
