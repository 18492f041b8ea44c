"""`labctl backup ...` end to end against FakeKube and a fake Velero: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.cli.backup import app
from labctl.db.fingerprint import Fingerprint
from tests.support.fake_kube import FakeKube
from tests.support.fake_velero import FakeVelero, backup, location, namespace, pod, schedule

runner = CliRunner()
FAST = ["--poll-interval", "0.02"]


def invoke(kubeconfig: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--kubeconfig", str(kubeconfig)])
    return result.exit_code, result.output


def test_list_shows_phase_age_expiry_and_items(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(backup("nightly-20261120", "PartiallyFailed", schedule="nightly"))
    code, out = invoke(kubeconfig, "list")
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == [
        "NAME",
        "SCHEDULE",
        "LOCATION",
        "PHASE",
        "AGE",
        "EXPIRES",
        "ERRORS",
        "WARNINGS",
        "ITEMS",
    ]
    assert row.split()[:4] == ["nightly-20261120", "nightly", "default", "PartiallyFailed"]
    assert row.split()[-3:] == ["0", "2", "120/120"]


def test_list_as_json(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(backup("b1"))
    code, out = invoke(kubeconfig, "list", "-o", "json")
    assert code == 0
    [row] = json.loads(out)
    assert (row["name"], row["phase"], row["namespaces"]) == (
        "b1",
        "Completed",
        ["taskapp", "vault", "argocd"],
    )


def test_schedules_and_locations(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(schedule("daily-b2", "30 3 * * *", "b2"), location("b2", "Unavailable"))
    code, out = invoke(kubeconfig, "schedules")
    assert code == 0 and "daily-b2" in out and "30 3 * * *" in out
    code, out = invoke(kubeconfig, "locations")
    assert code == 0 and out.splitlines()[1].split()[:4] == [
        "b2",
        "aws",
        "b2-bucket",
        "Unavailable",
    ]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (403, "API error: 403 Forbidden: injected failure (403)"),
        (500, "API error: 500 InternalError: injected failure (500)"),
    ],
)
def test_api_errors_exit_4_with_the_reason(
    fake: FakeKube, kubeconfig: Path, status: int, message: str
) -> None:
    fake.fail(r"/apis/velero.io/v1/namespaces/velero/backups", status)
    code, out = invoke(kubeconfig, "list")
    assert (code, out.strip()) == (4, message)


def test_a_slow_api_server_times_out(fake: FakeKube, kubeconfig: Path) -> None:
    fake.latency = 1.0
    code, out = invoke(kubeconfig, "list", "--request-timeout", "0.2")
    assert code == 4 and "timed out waiting for the API server" in out


def test_create_follows_the_backup_and_exits_0_when_completed(
    fake: FakeKube, kubeconfig: Path
) -> None:
    fake.add(location("default", default=True))
    with FakeVelero(fake):
        code, out = invoke(kubeconfig, "create", "--name", "b1", "--yes", *FAST)
    assert code == 0, out
    assert "Plan: back up taskapp, vault, argocd (3 steps)" in out
    # No PostgreSQL pod: the fingerprint is skipped, the backup is not.
    assert "record Database taskapp/postgres: not recorded (no running PostgreSQL pod" in out
    assert "wait Backup velero/b1: InProgress, " in out
    assert "wait Backup velero/b1: Completed: 40/40 items, 0 errors, 1 warnings" in out
    assert fake.get("Backup", "b1", "velero")["spec"]["ttl"] == "168h"


def test_create_forbidden_by_rbac_exits_4(fake: FakeKube, kubeconfig: Path) -> None:
    fake.fail(r"/apis/velero.io/v1/namespaces/velero/backups", 403, method="POST")
    code, out = invoke(kubeconfig, "create", "-n", "vault", "--name", "b9", "--yes", *FAST)
    assert code == 4 and "API error: 403 Forbidden: injected failure (403)" in out


def test_create_exits_1_when_the_backup_fails(fake: FakeKube, kubeconfig: Path) -> None:
    with FakeVelero(fake, backup_outcome="Failed"):
        code, out = invoke(kubeconfig, "create", "-n", "vault", "--name", "b2", "--yes", *FAST)
    assert code == 1
    assert "failed: backup b2 ended Failed (object storage unreachable)" in out


def test_create_needs_confirmation_and_refuses_an_unknown_location(
    fake: FakeKube, kubeconfig: Path
) -> None:
    code, out = invoke(kubeconfig, "create", "-n", "vault", "--name", "b3")
    assert code == 3 and "re-run with --yes" in out
    code, out = invoke(kubeconfig, "create", "--location", "offsite", "--yes")
    assert code == 3 and "backup storage location 'offsite' does not exist" in out
    assert fake.objects("Backup") == []


def test_restore_refuses_a_live_namespace_and_force_needs_a_reason(
    fake: FakeKube, kubeconfig: Path
) -> None:
    fake.add(backup("nightly"), namespace("taskapp"), pod("postgres-0", "taskapp"))
    code, out = invoke(kubeconfig, "restore", "nightly", "--yes")
    assert code == 3 and "namespace taskapp exists and holds 1 workloads (Pod postgres-0)" in out
    code, out = invoke(kubeconfig, "restore", "nightly", "--yes", "--force")
    assert code == 3 and fake.objects("Restore") == []
    with FakeVelero(fake):
        code, out = invoke(
            kubeconfig,
            "restore",
            "nightly",
            "--yes",
            "--force",
            "--reason",
            "roll back a bad migration",
            *FAST,
        )
    assert code == 0, out
    assert "refusals overridden with --force: roll back a bad migration" in out


def test_restore_into_a_new_namespace(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(backup("nightly"), pod("postgres-0", "taskapp"))
    with FakeVelero(fake):
        code, out = invoke(
            kubeconfig, "restore", "nightly", "--into", "taskapp-test", "--yes", *FAST
        )
    assert code == 0, out
    [restore] = fake.objects("Restore", "velero")
    assert restore["spec"]["namespaceMapping"] == {"taskapp": "taskapp-test"}
    assert fake.get("Pod", "postgres-0", "taskapp-test") is not None


def test_restore_of_a_missing_backup(kubeconfig: Path) -> None:
    code, out = invoke(kubeconfig, "restore", "nope", "--yes")
    assert code == 1 and "backup 'nope' not found" in out


DATA = Fingerprint(rows={"public.tasks": 3}, checksum_table="public.tasks", checksum="aa")


def drill_setup(fake: FakeKube, monkeypatch: pytest.MonkeyPatch, restored: Fingerprint) -> None:
    from labctl.actions import backup as backup_actions
    from labctl.actions import db

    annotation = backup_actions.FINGERPRINT_ANNOTATION.format(namespace="taskapp")
    fake.add(
        backup("good", annotations={annotation: DATA.model_dump_json()}),
        pod("postgres-0", "taskapp", {"app": "postgres"}),
    )
    # FakeKube serves no exec: measure the restored database through a stand-in probe.
    monkeypatch.setattr(db, "pod_probe", lambda client, target: lambda ns: restored)


def test_drill_passes_reports_and_deletes_its_namespace(
    fake: FakeKube, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drill_setup(fake, monkeypatch, restored=DATA)
    with FakeVelero(fake):
        code, out = invoke(kubeconfig, "drill", "--yes", *FAST)
    assert code == 0, out
    assert "Drill PASSED: taskapp from backup good into taskapp-drill-" in out
    assert "compared with: fingerprint recorded at backup time" in out
    assert [n["metadata"]["name"] for n in fake.objects("Namespace")] == []
    [restore] = fake.objects("Restore", "velero")
    [(source, target)] = restore["spec"]["namespaceMapping"].items()
    assert source == "taskapp" and target.startswith("taskapp-drill-")


def test_a_failed_drill_exits_1_and_still_deletes_its_namespace(
    fake: FakeKube, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drill_setup(fake, monkeypatch, restored=DATA.model_copy(update={"checksum": "bb"}))
    with FakeVelero(fake):
        code, out = invoke(kubeconfig, "drill", "--yes", "-o", "json", *FAST)
    assert code == 1
    report = json.loads(out[out.index("[") : out.rindex("]") + 1])[0]
    assert report["passed"] is False and report["cleanedUp"] is True
    assert report["problems"] == ["public.tasks: checksum bb != aa"]
    assert fake.objects("Namespace") == []


def test_drill_dry_run_changes_nothing(
    fake: FakeKube, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drill_setup(fake, monkeypatch, restored=DATA)
    code, out = invoke(kubeconfig, "drill", "--dry-run")
    assert code == 0 and "Plan: restore drill of taskapp from good (7 steps)" in out
    assert fake.objects("Restore") == []
