"""Jobs that failed, and CronJobs whose newest run failed, that are suspended or do not run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from labctl.checks._cron import interval
from labctl.checks._objects import condition, qualified, spec, status
from labctl.checks.model import Severity, Subject, Unknown, Verdict, check
from labctl.cluster.snapshot import Obj, Snapshot, parse_time

Results = Iterator[tuple[Subject, Verdict]]
_EPOCH = datetime.min.replace(tzinfo=UTC)


def _owner(job: Obj) -> str | None:
    """The name of the CronJob that created a Job, from its controller ownerReference."""
    for ref in (job.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("kind") == "CronJob" and ref.get("controller", True):
            return str(ref.get("name"))
    return None


def _failed(job: Obj) -> Obj | None:
    """The Failed=True condition of a finished Job (BackoffLimitExceeded, DeadlineExceeded)."""
    failed = condition(job, "Failed")
    return failed if failed is not None and failed.get("status") == "True" else None


def _started(job: Obj) -> datetime:
    meta = job.get("metadata") or {}
    return (
        parse_time(status(job).get("startTime"))
        or parse_time(meta.get("creationTimestamp"))
        or _EPOCH
    )


def _why(failed: Obj) -> str:
    reason, message = failed.get("reason"), failed.get("message")
    return ": ".join(str(p) for p in (reason, message) if p) or "Failed"


@check(
    "LAB-215",
    "job-failed",
    area="workloads",
    severity=Severity.WARNING,
    summary="A Job (not run by a CronJob: see LAB-216) failed: Failed=True, e.g. "
    "BackoffLimitExceeded or DeadlineExceeded.",
    hint="kubectl logs -n {namespace} job/{name}; delete the Job once understood",
)
def job_failed(snap: Snapshot) -> Results:
    for job in snap.require("jobs.batch"):
        failed = _failed(job)
        if failed is None or _owner(job) is not None:
            yield job, None
            continue
        yield job, f"Job {qualified(job)} failed ({_why(failed)})"


def _runs(snap: Snapshot) -> dict[tuple[str, str], list[Obj]]:
    """Each CronJob's Jobs, newest first."""
    runs: dict[tuple[str, str], list[Obj]] = {}
    for job in snap.require("jobs.batch"):
        owner = _owner(job)
        if owner is not None:
            ns = (job.get("metadata") or {}).get("namespace", "")
            runs.setdefault((ns, owner), []).append(job)
    for jobs in runs.values():
        jobs.sort(key=_started, reverse=True)
    return runs


def _finished(job: Obj) -> bool:
    return any((condition(job, t) or {}).get("status") == "True" for t in ("Complete", "Failed"))


@check(
    "LAB-216",
    "cronjob-failing",
    area="workloads",
    severity=Severity.WARNING,
    summary="A CronJob's newest finished Job failed.",
    hint="kubectl logs -n {namespace} job/<newest job>; kubectl create job --from=cronjob/{name}"
    " -n {namespace} <name> to retry",
)
def cronjob_failing(snap: Snapshot) -> Results:
    runs = snap.derived("jobs.runs", _runs)
    for cronjob in snap.require("cronjobs.batch"):
        meta = cronjob.get("metadata") or {}
        jobs = runs.get((meta.get("namespace", ""), meta.get("name", "")), [])
        newest = next((j for j in jobs if _finished(j)), None)
        failed = _failed(newest) if newest is not None else None
        if newest is None or failed is None:
            yield cronjob, None
            continue
        name = (newest.get("metadata") or {}).get("name")
        yield (
            cronjob,
            f"CronJob {qualified(cronjob)}: its newest Job {name} failed ({_why(failed)})",
        )


@check(
    "LAB-217",
    "cronjob-suspended",
    area="workloads",
    severity=Severity.WARNING,
    summary="A CronJob is suspended (spec.suspend): it starts no Jobs.",
    hint="kubectl patch cronjob -n {namespace} {name} --type merge "
    '-p \'{{"spec":{{"suspend":false}}}}\' when it should run again',
)
def cronjob_suspended(snap: Snapshot) -> Results:
    for cronjob in snap.require("cronjobs.batch"):
        suspended = bool(spec(cronjob).get("suspend"))
        yield cronjob, f"CronJob {qualified(cronjob)} is suspended" if suspended else None


@check(
    "LAB-218",
    "cronjob-not-running",
    area="workloads",
    severity=Severity.WARNING,
    summary="A CronJob (not suspended) has not started a Job for more than twice its interval, "
    "or never since it was created that long ago.",
    hint="kubectl describe cronjob -n {namespace} {name}: the events say why (startingDeadline"
    "Seconds, concurrencyPolicy Forbid behind a stuck Job, a controller-manager problem)",
)
def cronjob_not_running(snap: Snapshot) -> Results:
    for cronjob in snap.require("cronjobs.batch"):
        if spec(cronjob).get("suspend"):
            yield cronjob, None  # LAB-217
            continue
        cron = str(spec(cronjob).get("schedule", ""))
        # A `CRON_TZ=Europe/Berlin ...` prefix shifts the runs, not the interval between them.
        every = interval(cron.split(" ", 1)[-1] if "TZ=" in cron.split(" ", 1)[0] else cron)
        if every is None:
            yield cronjob, Unknown(f"cannot read the cron expression {cron!r}")
            continue
        last = parse_time(status(cronjob).get("lastScheduleTime"))
        since = last or parse_time((cronjob.get("metadata") or {}).get("creationTimestamp"))
        if since is None or snap.taken_at - since <= 2 * every:
            yield cronjob, None
            continue
        when = f"last at {status(cronjob)['lastScheduleTime']}" if last else "never ran"
        yield (
            cronjob,
            f"CronJob {qualified(cronjob)} ({cron}) has started no Job for more than twice its "
            f"interval ({when})",
        )
