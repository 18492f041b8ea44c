"""Velero: fresh, completed backups per schedule, usable storage locations, 3-2-1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from labctl.checks._cron import interval
from labctl.checks._objects import labels, name, qualified, spec, status
from labctl.checks.model import Severity, Subject, Unknown, Verdict, check
from labctl.cluster.snapshot import Obj, Snapshot, parse_time

Results = Iterator[tuple[Subject, Verdict]]

TERMINAL = frozenset({"Completed", "PartiallyFailed", "Failed", "FailedValidation"})
_EPOCH = datetime.min.replace(tzinfo=UTC)
FAILED = frozenset({"PartiallyFailed", "Failed", "FailedValidation"})


def _schedule_of(backup: Obj) -> str | None:
    return labels(backup).get("velero.io/schedule-name")


def _backup_time(backup: Obj) -> datetime | None:
    st = status(backup)
    return parse_time(st.get("completionTimestamp") or st.get("startTimestamp")) or parse_time(
        (backup.get("metadata") or {}).get("creationTimestamp")
    )


def _by_schedule(snap: Snapshot) -> dict[str, list[Obj]]:
    """Each schedule's backups, newest first (by label, else by the `<schedule>-` prefix)."""
    schedules = [name(s) for s in snap.require("schedules.velero.io")]
    grouped: dict[str, list[Obj]] = {s: [] for s in schedules}
    for backup in snap.require("backups.velero.io"):
        owner = _schedule_of(backup) or next(
            (s for s in schedules if name(backup).startswith(f"{s}-")), None
        )
        if owner in grouped:
            grouped[owner].append(backup)
    for backups in grouped.values():
        backups.sort(key=lambda b: _backup_time(b) or _EPOCH, reverse=True)
    return grouped


def _newest_terminal(backups: list[Obj]) -> Obj | None:
    return next((b for b in backups if status(b).get("phase") in TERMINAL), None)


def _age(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f}h"


@check(
    "LAB-501",
    "backup-schedule-stale",
    area="backups",
    severity=Severity.CRITICAL,
    summary="A schedule's newest completed backup is older than twice its interval, or it has "
    "none.",
    hint="labctl backup list; kubectl logs -n velero deploy/velero; labctl backup create now",
)
def backup_schedule_stale(snap: Snapshot) -> Results:
    grouped = _by_schedule(snap)
    for schedule in snap.require("schedules.velero.io"):
        cron = str(spec(schedule).get("schedule", ""))
        every = interval(cron)
        if every is None:
            yield schedule, Unknown(f"cannot read the cron expression {cron!r}")
            continue
        completed = [b for b in grouped[name(schedule)] if status(b).get("phase") == "Completed"]
        newest = _backup_time(completed[0]) if completed else None
        if newest is None:
            yield schedule, f"schedule {qualified(schedule)} ({cron}) has no completed backup"
            continue
        age = snap.taken_at - newest
        if age <= 2 * every:
            yield schedule, None
            continue
        yield (
            schedule,
            (
                f"schedule {qualified(schedule)} ({cron}): newest completed backup "
                f"{name(completed[0])} is {_age(age)} old (more than twice {_age(every)})"
            ),
        )


@check(
    "LAB-502",
    "backup-latest-failed",
    area="backups",
    severity=Severity.CRITICAL,
    summary="A schedule's newest finished backup is Failed or PartiallyFailed.",
    hint="velero backup describe {name} --details; velero backup logs {name}",
)
def backup_latest_failed(snap: Snapshot) -> Results:
    for schedule_name, backups in _by_schedule(snap).items():
        subject = f"Schedule/velero/{schedule_name}"
        newest = _newest_terminal(backups)
        if newest is None or status(newest).get("phase") == "Completed":
            yield subject, None
            continue
        st = status(newest)
        why = f": {st['failureReason']}" if st.get("failureReason") else ""
        count = int(st.get("errors") or 0)
        errors = f" ({count} error{'s' if count > 1 else ''})" if count else ""
        yield (
            newest,
            (
                f"newest backup {name(newest)} of schedule {schedule_name} is {st.get('phase')}"
                f"{errors}{why}"
            ),
        )


@check(
    "LAB-503",
    "backup-failed",
    area="backups",
    severity=Severity.WARNING,
    summary="A backup ended Failed or PartiallyFailed: a manual one, or an older one of a "
    "schedule (the newest per schedule is LAB-502). Judged without schedules too.",
    hint="velero backup describe {name} --details; delete it once understood",
)
def backup_failed(snap: Snapshot) -> Results:
    schedules = snap.items("schedules.velero.io")
    by_schedule = _by_schedule(snap) if schedules is not None else {}
    newest = {id(b) for bs in by_schedule.values() if (b := _newest_terminal(bs))}
    for backup in snap.require("backups.velero.io"):
        phase = status(backup).get("phase")
        if phase not in FAILED or id(backup) in newest:
            yield backup, None
            continue
        yield backup, f"backup {qualified(backup)} is {phase}"


@check(
    "LAB-504",
    "backup-location-unavailable",
    area="backups",
    severity=Severity.CRITICAL,
    summary="A BackupStorageLocation is not Available: backups to it fail.",
    hint="labctl backup locations; kubectl describe backupstoragelocation -n {namespace} {name}: "
    "check the bucket, "
    "endpoint and credentials Secret",
)
def location_unavailable(snap: Snapshot) -> Results:
    for location in snap.require("backupstoragelocations.velero.io"):
        phase = status(location).get("phase")
        if phase == "Available":
            yield location, None
            continue
        why = f": {status(location)['message']}" if status(location).get("message") else ""
        yield location, f"backup location {qualified(location)} is {phase or 'not validated'}{why}"


@check(
    "LAB-505",
    "backup-single-location",
    area="backups",
    severity=Severity.WARNING,
    summary="Fewer than two BackupStorageLocations, or schedules write to only one: not 3-2-1.",
    hint="add an off-site entry to backups.targets in cluster.yaml, then labctl render",
)
def single_location(snap: Snapshot) -> Results:
    locations = snap.require("backupstoragelocations.velero.io")
    default = next((name(loc) for loc in locations if spec(loc).get("default")), None)
    targets = {
        spec(s).get("template", {}).get("storageLocation") or default
        for s in snap.require("schedules.velero.io")
    }
    targets.discard(None)
    if len(locations) < 2:
        names = ", ".join(name(loc) for loc in locations) or "none"
        yield "Velero", f"only {len(locations)} backup location ({names}): backups are not 3-2-1"
    elif len(targets) < 2:
        yield (
            "Velero",
            (
                f"{len(locations)} backup locations, but schedules write only to "
                f"{', '.join(sorted(str(t) for t in targets)) or 'none'}: backups are not 3-2-1"
            ),
        )
    else:
        yield "Velero", None


@check(
    "LAB-506",
    "backup-schedule-paused",
    area="backups",
    severity=Severity.WARNING,
    summary="A Velero schedule is paused: it makes no backups.",
    hint="unpause it: kubectl patch schedule -n {namespace} {name} --type merge "
    '-p \'{{"spec":{{"paused":false}}}}\'',
)
def schedule_paused(snap: Snapshot) -> Results:
    for schedule in snap.require("schedules.velero.io"):
        paused = bool(spec(schedule).get("paused"))
        yield schedule, f"schedule {qualified(schedule)} is paused" if paused else None


@check(
    "LAB-507",
    "backup-no-schedule",
    area="backups",
    severity=Severity.CRITICAL,
    summary="There is no Velero schedule at all: nothing is backed up automatically.",
    hint="labctl render writes a schedule per backups.targets entry in cluster.yaml",
)
def no_schedule(snap: Snapshot) -> Results:
    schedules = snap.require("schedules.velero.io")
    if schedules:
        yield "Velero", None
    elif "schedules.velero.io" in snap.not_served:
        yield "Velero", "Velero is not installed (the API server serves no schedules.velero.io)"
    else:
        yield "Velero", "no Velero backup schedule exists"
