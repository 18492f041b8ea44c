"""`backup restore`: refused over live namespaces, --into through namespaceMapping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lightkube import Client

from labctl.actions import restore
from labctl.actions.plan import ActionFailed, Executor
from labctl.actions.velero import BackupRow, backup_row
from labctl.cluster.crds import Backup
from tests.support.fake_kube import FakeKube
from tests.support.fake_velero import FakeVelero, backup, namespace, pod

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


def row(phase: str = "Completed", namespaces: tuple[str, ...] = ("taskapp", "vault")) -> BackupRow:
    return backup_row(Backup.from_dict(backup("nightly", phase, namespaces=namespaces)))


def test_a_namespace_with_workloads_is_refused(fake: FakeKube, client: Client) -> None:
    fake.add(namespace("taskapp"), pod("backend-1", "taskapp"), pod("postgres-0", "taskapp"))
    target = restore.read_namespace(client, "taskapp")
    assert target.workloads == ("Pod backend-1", "Pod postgres-0")
    plan = restore.plan_restore("r1", row(), ["taskapp"], [target])
    assert len(plan.refusals) == 1
    assert plan.refusals[0].startswith(
        "namespace taskapp exists and holds 2 workloads (Pod backend-1, Pod postgres-0)"
    )
    assert "restore --into a new namespace" in plan.refusals[0]


def test_an_absent_or_empty_namespace_is_fine(fake: FakeKube, client: Client) -> None:
    fake.add(namespace("vault"))
    targets = [restore.read_namespace(client, ns) for ns in ("taskapp", "vault")]
    assert [(t.exists, t.workloads) for t in targets] == [(False, ()), (True, ())]
    plan = restore.plan_restore("r1", row(), ["taskapp", "vault"], targets)
    assert not plan.refused
    assert plan.warnings == ("namespace vault exists (empty); objects are restored into it",)
    assert plan.steps[0].body["spec"] == {
        "backupName": "nightly",
        "includedNamespaces": ["taskapp", "vault"],
    }


def test_into_maps_the_namespace_and_runs_to_completed(fake: FakeKube, client: Client) -> None:
    fake.add(backup("nightly"), pod("postgres-0", "taskapp"))
    name = restore.restore_name("nightly", NOW)
    assert name == "nightly-restore-20261126120000"
    target = restore.read_namespace(client, "taskapp-test")
    plan = restore.plan_restore(
        name, restore.read_backup(client, "nightly"), ["taskapp"], [target], into="taskapp-test"
    )
    assert plan.steps[0].reason == "taskapp from nightly into taskapp-test (namespaceMapping)"
    seen: list[str] = []
    with FakeVelero(fake):
        Executor(
            restore.step_applier(client),
            lambda s, m: seen.append(m),
            timeout=10,
            retry_interval=0.02,
        ).run(plan)
    spec = fake.get("Restore", name, "velero")["spec"]
    assert spec["namespaceMapping"] == {"taskapp": "taskapp-test"}
    assert spec["includedNamespaces"] == ["taskapp"]
    assert seen[-1] == "Completed: 40/40 items, 0 errors, 1 warnings"
    assert fake.get("Pod", "postgres-0", "taskapp-test") is not None


def test_into_needs_exactly_one_namespace() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        restore.plan_restore("r", row(), ["taskapp", "vault"], [], into="x")


def test_unusable_backups_and_missing_namespaces_are_refused() -> None:
    plan = restore.plan_restore("r", row("Failed"), ["taskapp"], [])
    assert plan.refusals == ("backup nightly is Failed, not usable for a restore",)
    plan = restore.plan_restore("r", row(namespaces=("vault",)), ["taskapp"], [])
    assert plan.refusals == ("backup nightly does not include namespace taskapp (vault)",)
    partial = restore.plan_restore("r", row("PartiallyFailed"), ["taskapp"], [])
    assert partial.warnings == ("backup nightly is PartiallyFailed: some items are missing",)


def test_a_failed_restore_fails_the_command(fake: FakeKube, client: Client) -> None:
    fake.add(backup("nightly"))
    plan = restore.plan_restore("r2", row(), ["vault"], [])
    with (
        FakeVelero(fake, restore_outcome="PartiallyFailed"),
        pytest.raises(
            ActionFailed, match="restore r2 ended PartiallyFailed: 37/40 items, 3 errors"
        ),
    ):
        Executor(restore.step_applier(client), timeout=10, retry_interval=0.02).run(plan)


def test_a_missing_backup_is_named(client: Client) -> None:
    with pytest.raises(ActionFailed, match="backup 'nope' not found in namespace velero"):
        restore.read_backup(client, "nope")
