"""`backup create` and the Velero reads, against FakeKube with a fake Velero controller."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from lightkube import Client

from labctl.actions import backup, velero
from labctl.actions.plan import ActionFailed, Executor, Plan, Step
from labctl.cluster.crds import BackupStorageLocation
from labctl.db.errors import DbError
from labctl.db.fingerprint import Fingerprint
from tests.support.fake_kube import FakeKube
from tests.support.fake_velero import FakeVelero, location, schedule
from tests.support.fake_velero import backup as backup_obj

FINGERPRINT = Fingerprint(rows={"public.tasks": 42}, checksum_table="public.tasks", checksum="ab")


def run(plan: Plan, client: Client, probe: backup.Probe | None = None) -> list[str]:
    seen: list[str] = []
    executor = Executor(
        backup.step_applier(client, probe),
        lambda step, message: seen.append(f"{step.verb}: {message}"),
        timeout=10,
        retry_interval=0.02,
    )
    executor.run(plan)
    return seen


def test_list_backups_newest_first_with_velero_fields(fake: FakeKube, client: Client) -> None:
    fake.add(
        backup_obj("daily-b2-20261120030000", created="2026-11-20T03:00:00Z", schedule="daily-b2"),
        backup_obj("manual-1", "PartiallyFailed", created="2026-11-25T10:00:00Z"),
    )
    rows = velero.list_backups(client)
    assert [r.name for r in rows] == ["manual-1", "daily-b2-20261120030000"]
    assert rows[1].schedule == "daily-b2" and rows[0].schedule is None
    assert (rows[0].phase, rows[0].warnings, rows[0].items_backed_up) == ("PartiallyFailed", 2, 120)
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    assert velero.age(rows[0].created, now) == "24h"
    assert velero.expiry(rows[0].expires, now) == "in 17h"


def test_schedules_and_locations(fake: FakeKube, client: Client) -> None:
    fake.add(schedule("daily-nas", "0 3 * * *", "nas"), location("nas", default=True))
    fake.add(location("b2", "Unavailable"))
    assert [(s.name, s.location, s.phase) for s in velero.list_schedules(client)] == [
        ("daily-nas", "nas", "Enabled")
    ]
    assert [(loc.name, loc.phase, loc.default) for loc in velero.list_locations(client)] == [
        ("b2", "Unavailable", False),
        ("nas", "Available", True),
    ]


def test_plan_records_creates_and_waits() -> None:
    plan = backup.plan_backup(
        "manual-backup-1", ["taskapp", "vault", "argocd"], locations=[_row("nas", default=True)]
    )
    assert [(s.verb, s.kind, s.name) for s in plan.steps] == [
        ("record", "Database", "postgres"),
        ("create", "Backup", "manual-backup-1"),
        ("wait", "Backup", "manual-backup-1"),
    ]
    assert plan.steps[1].body["spec"] == {
        "includedNamespaces": ["taskapp", "vault", "argocd"],
        "ttl": "168h",
        "snapshotVolumes": False,
        "defaultVolumesToFsBackup": True,
    }
    assert not plan.refused and not plan.warnings


def test_plan_refuses_an_unknown_location_and_a_bad_ttl() -> None:
    plan = backup.plan_backup(
        "b", ["vault"], ttl="7 days", location="offsite", locations=[_row("nas")]
    )
    assert plan.refusals == (
        "--ttl '7 days' is not a duration Velero accepts (e.g. 168h, 720h0m0s)",
        "backup storage location 'offsite' does not exist (known: nas)",
    )
    unavailable = backup.plan_backup(
        "b", ["vault"], location="b2", locations=[_row("b2", "Unavailable")]
    )
    assert unavailable.warnings == ("location b2 is Unavailable: the backup is likely to fail",)


def _row(name: str, phase: str = "Available", default: bool = False) -> velero.LocationRow:
    return velero.location_row(_obj(location(name, phase, default=default)))


def _obj(data: dict[str, object]) -> object:
    return BackupStorageLocation.from_dict(data)


def test_create_follows_the_phases_to_completed(fake: FakeKube, client: Client) -> None:
    plan = backup.plan_backup(
        "manual-1", ["taskapp", "vault"], location="nas", locations=[_row("nas")]
    )
    with FakeVelero(fake):
        seen = run(plan, client, probe=lambda ns: FINGERPRINT)
    stored = fake.get("Backup", "manual-1", "velero")
    assert stored["spec"]["includedNamespaces"] == ["taskapp", "vault"]
    assert (stored["spec"]["ttl"], stored["spec"]["storageLocation"]) == ("168h", "nas")
    recorded = stored["metadata"]["annotations"]["labctl/fingerprint.taskapp"]
    assert Fingerprint.model_validate(json.loads(recorded)) == FINGERPRINT
    progress = [m for m in seen if m.startswith("wait: InProgress")]
    assert progress and "items backed up" in progress[0]
    assert seen[0] == "record: 42 rows in 1 tables, checksum ab"
    assert seen[-1] == "wait: Completed: 40/40 items, 0 errors, 1 warnings"


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        ("PartiallyFailed", r"ended PartiallyFailed: 37/40 items, 3 errors, 1 warnings"),
        ("Failed", r"ended Failed \(object storage unreachable\): 37/40 items, 3 errors"),
    ],
)
def test_create_fails_unless_completed(
    fake: FakeKube, client: Client, outcome: str, message: str
) -> None:
    plan = backup.plan_backup("manual-2", ["vault"])
    with FakeVelero(fake, backup_outcome=outcome), pytest.raises(ActionFailed, match=message):
        run(plan, client)


def test_a_failed_record_does_not_stop_the_backup(fake: FakeKube, client: Client) -> None:
    def broken(namespace: str) -> Fingerprint:
        raise DbError("no running PostgreSQL pod with labels app=postgres in namespace taskapp")

    with FakeVelero(fake):
        seen = run(backup.plan_backup("manual-3", ["taskapp"]), client, probe=broken)
    assert seen[0].startswith("record: not recorded (no running PostgreSQL pod")
    assert fake.get("Backup", "manual-3", "velero")["metadata"].get("annotations") in (None, {})
    assert fake.get("Backup", "manual-3", "velero")["status"]["phase"] == "Completed"


def test_wait_reports_progress_and_unknown_verbs_are_errors(fake: FakeKube, client: Client) -> None:
    from labctl.actions.plan import Retry

    fake.add(backup_obj("b", "InProgress"))
    with pytest.raises(Retry, match="InProgress, 120/120 items backed up"):
        backup.wait_for_backup(client, "b")
    with pytest.raises(ValueError, match="unknown step verb"):
        backup.step_applier(client)(Step("explode", "Backup", "velero", "b", ""))
