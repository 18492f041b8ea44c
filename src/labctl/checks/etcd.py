"""etcd: a verified snapshot newer than a day exists.

Snapshots are Jobs labelled `app.kubernetes.io/name=etcd-snapshot`: the tree's daily CronJob
and `labctl etcd snapshot` both make them, and a Job completes only after `etcdutl snapshot
status` verified the file and it was shipped to every backup target. Velero does not back up
etcd, and a kubeadm upgrade should start from a fresh snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from labctl.checks._objects import condition, labels, status
from labctl.checks.model import Severity, Subject, Verdict, check
from labctl.cluster.snapshot import Obj, Snapshot, parse_time

SNAPSHOT_LABEL = "app.kubernetes.io/name"
SNAPSHOT_NAME = "etcd-snapshot"
MAX_AGE = timedelta(hours=24)
JOBS = "jobs.batch"


def snapshot_jobs(jobs: list[Obj]) -> list[Obj]:
    return [j for j in jobs if labels(j).get(SNAPSHOT_LABEL) == SNAPSHOT_NAME]


def completed_at(job: Obj) -> datetime | None:
    done = condition(job, "Complete")
    if not done or done.get("status") != "True":
        return None
    return parse_time(status(job).get("completionTime")) or parse_time(
        done.get("lastTransitionTime")
    )


def newest_snapshot(jobs: list[Obj]) -> tuple[Obj, datetime] | None:
    """The newest completed etcd snapshot Job and when it completed."""
    done = [(job, when) for job in snapshot_jobs(jobs) if (when := completed_at(job))]
    return max(done, key=lambda pair: pair[1], default=None)


def age_text(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f}h"


@check(
    "LAB-508",
    "etcd-snapshot-stale",
    area="backups",
    severity=Severity.CRITICAL,
    summary="No verified etcd snapshot is newer than 24 hours (or there is none).",
    hint="labctl etcd snapshot; kubectl get cronjob -n velero etcd-snapshot; "
    "kubectl logs -n velero job/<newest etcd-snapshot job>",
)
def etcd_snapshot_stale(snap: Snapshot) -> Iterator[tuple[Subject, Verdict]]:
    jobs = snap.require(JOBS)
    newest = newest_snapshot(jobs)
    if newest is None:
        failed = [j for j in snapshot_jobs(jobs) if (condition(j, "Failed") or {}).get("status")]
        why = f" ({len(failed)} failed)" if failed else ""
        yield "etcd", f"no completed etcd snapshot Job{why}: etcd is not backed up"
        return
    job, when = newest
    age = snap.taken_at - when
    if age <= MAX_AGE:
        yield job, None
    else:
        yield job, f"the newest etcd snapshot completed {age_text(age)} ago (more than 24h)"
