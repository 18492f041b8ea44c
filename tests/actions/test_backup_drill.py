"""The restore drill: namespace mapping, verification, and clean-up in every outcome."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from lightkube import Client

from labctl.actions import drill
from labctl.actions.backup import FINGERPRINT_ANNOTATION
from labctl.actions.plan import ActionFailed, Plan
from labctl.db.errors import DbError
from labctl.db.fingerprint import Fingerprint
from tests.support.fake_kube import FakeKube
from tests.support.fake_velero import (
    FakeVelero,
    backup,
    persistent_volume,
    persistent_volume_claim,
    pod,
)

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
DRILL_NS = "taskapp-drill-20261126120000"
DATA = Fingerprint(
    rows={"public.tasks": 42, "public.alembic_version": 1},
    checksum_table="public.tasks",
    checksum="c0ffee",
)


def seed(fake: FakeKube, *, record: Fingerprint | None = DATA) -> None:
    annotations = (
        {FINGERPRINT_ANNOTATION.format(namespace="taskapp"): record.model_dump_json()}
        if record
        else {}
    )
    fake.add(
        backup("newest-failed", "Failed", created="2026-11-26T03:00:00Z"),
        backup("good", created="2026-11-25T03:00:00Z", annotations=annotations),
        backup("older", created="2026-11-24T03:00:00Z"),
        backup("vault-only", created="2026-11-25T09:00:00Z", namespaces=("vault",)),
        pod("postgres-0", "taskapp", {"app": "postgres"}),
        pod("backend-1", "taskapp", {"app": "backend"}),
        persistent_volume_claim("data-postgres-0", "taskapp"),
        persistent_volume("pvc-source", "taskapp", "data-postgres-0"),
    )


def prepare(client: Client) -> tuple[Plan, Fingerprint | None]:
    setup = drill.prepare_drill(client, "taskapp", NOW)
    return setup.plan, setup.recorded


def execute(
    client: Client,
    probe: Callable[[str], Fingerprint],
    *,
    timeout: float = 10,
) -> drill.DrillReport:
    setup = drill.prepare_drill(client, "taskapp", NOW)
    return drill.execute_drill(
        client, setup, "taskapp", probe, timeout=timeout, retry_interval=0.02
    )


def probes(restored: Fingerprint, source: Fingerprint = DATA) -> Callable[[str], Fingerprint]:
    seen: list[str] = []

    def probe(namespace: str) -> Fingerprint:
        seen.append(namespace)
        return source if namespace == "taskapp" else restored

    probe.seen = seen  # type: ignore[attr-defined]
    return probe


def test_plan_maps_the_newest_completed_backup_into_a_drill_namespace(
    fake: FakeKube, client: Client
) -> None:
    seed(fake)
    plan, recorded = prepare(client)
    assert recorded == DATA
    assert [(s.verb, s.kind, s.name) for s in plan.steps] == [
        ("create", "Restore", "good-restore-20261126120000"),
        ("wait", "Restore", "good-restore-20261126120000"),
        ("ready", "Namespace", DRILL_NS),
        ("verify", "Namespace", DRILL_NS),
        ("delete", "Namespace", DRILL_NS),
        ("wait-gone", "Namespace", DRILL_NS),
        ("delete-volumes", "PersistentVolume", DRILL_NS),
    ]
    assert plan.steps[0].body["spec"] == {
        "backupName": "good",
        "includedNamespaces": ["taskapp"],
        "namespaceMapping": {"taskapp": DRILL_NS},
    }
    assert "recorded at backup time" in plan.steps[3].reason


def test_a_passing_drill_verifies_the_copy_and_deletes_it(fake: FakeKube, client: Client) -> None:
    seed(fake)
    probe = probes(restored=DATA)
    with FakeVelero(fake):
        report = execute(client, probe)
    assert report.passed and report.failure is None and report.cleaned_up
    assert report.reference == "fingerprint recorded at backup time"
    assert probe.seen == [DRILL_NS]  # type: ignore[attr-defined]
    assert fake.get("Namespace", DRILL_NS) is None
    assert fake.objects("Pod", DRILL_NS) == []
    assert fake.get("Pod", "postgres-0", "taskapp") is not None  # the source is untouched
    assert any(
        line.startswith(f"ready Namespace {DRILL_NS}: 2/2 pods ready") for line in report.steps
    )
    assert report.steps[-2] == f"wait-gone Namespace {DRILL_NS}: gone"
    # The rendered StorageClass retains volumes: the drill's PV and Longhorn volume go too.
    assert report.steps[-1] == f"delete-volumes PersistentVolume {DRILL_NS}: deleted 1 volumes"
    assert [pv["metadata"]["name"] for pv in fake.objects("PersistentVolume")] == ["pvc-source"]
    assert fake.objects("Volume") == []


def test_different_data_fails_the_drill_and_still_cleans_up(fake: FakeKube, client: Client) -> None:
    seed(fake)
    lost = Fingerprint(
        rows={"public.tasks": 41, "public.alembic_version": 1},
        checksum_table="public.tasks",
        checksum="bad",
    )
    with FakeVelero(fake):
        report = execute(client, probes(restored=lost))
    assert not report.passed
    assert report.problems == [
        "public.tasks: 42 rows recorded, 41 now",
        "public.tasks: checksum bad != c0ffee",
    ]
    assert report.failure.startswith("restored data differs: public.tasks: 42 rows recorded")
    assert report.cleaned_up and fake.get("Namespace", DRILL_NS) is None


def test_without_a_record_the_source_is_the_reference(fake: FakeKube, client: Client) -> None:
    seed(fake, record=None)
    grown = Fingerprint(
        rows={"public.tasks": 50, "public.alembic_version": 1},
        checksum_table="public.tasks",
        checksum="new",
    )
    probe = probes(restored=DATA, source=grown)
    with FakeVelero(fake):
        report = execute(client, probe)
    assert report.passed, report
    assert report.reference.startswith("live source")
    assert report.notes == ["public.tasks: 50 rows in the source now, 42 restored"]
    assert probe.seen == [DRILL_NS, "taskapp"]  # type: ignore[attr-defined]


def test_an_empty_restore_fails_against_the_source(fake: FakeKube, client: Client) -> None:
    seed(fake, record=None)
    empty = Fingerprint(rows={"public.tasks": 0}, checksum_table="public.tasks", checksum="e")
    with FakeVelero(fake):
        report = execute(client, probes(restored=empty))
    assert not report.passed
    assert report.problems == [
        "public.alembic_version: 1 rows in the source, missing restored",
        "public.tasks: 42 rows in the source, 0 restored",
    ]
    assert fake.get("Namespace", DRILL_NS) is None


def test_a_failed_restore_still_deletes_the_namespace(fake: FakeKube, client: Client) -> None:
    seed(fake)
    with FakeVelero(fake, restore_outcome="PartiallyFailed"):
        report = execute(client, probes(restored=DATA))
    assert not report.passed and "ended PartiallyFailed" in (report.failure or "")
    assert report.cleaned_up
    assert f"delete Namespace {DRILL_NS}: already gone" in report.steps


def test_pods_that_never_get_ready_time_out_and_are_cleaned_up(
    fake: FakeKube, client: Client
) -> None:
    seed(fake)
    with FakeVelero(fake, pods_ready=False):
        report = execute(client, probes(restored=DATA), timeout=0.6)
    assert not report.passed
    assert report.failure.startswith(f"timed out at ready Namespace {DRILL_NS}: 0/2 pods ready")
    assert report.cleaned_up and fake.get("Namespace", DRILL_NS) is None


def test_a_database_error_is_reported_and_cleaned_up(fake: FakeKube, client: Client) -> None:
    seed(fake)

    def unreachable(namespace: str) -> Fingerprint:
        raise DbError(
            f"no running PostgreSQL pod with labels app=postgres in namespace {namespace}"
        )

    with FakeVelero(fake):
        report = execute(client, unreachable)
    assert (
        report.failure
        == f"no running PostgreSQL pod with labels app=postgres in namespace {DRILL_NS}"
    )
    assert report.cleaned_up and fake.get("Namespace", DRILL_NS) is None


def test_an_api_error_is_reported_and_cleaned_up(fake: FakeKube, client: Client) -> None:
    seed(fake)
    fake.fail(r"/api/v1/namespaces/[^/]+/pods", 500)
    with FakeVelero(fake):
        report = execute(client, probes(restored=DATA))
    assert report.failure == "API error: 500 InternalError: injected failure (500)"
    assert report.cleaned_up


def test_a_namespace_that_cannot_be_deleted_is_reported(fake: FakeKube, client: Client) -> None:
    seed(fake)
    fake.fail(rf"/api/v1/namespaces/{DRILL_NS}", 403, method="DELETE")
    with FakeVelero(fake):
        report = execute(client, probes(restored=DATA))
    assert not report.passed and not report.cleaned_up
    assert report.cleanup_error == (
        "API error: 403 Forbidden: injected failure (403); "
        f"delete it by hand: kubectl delete namespace {DRILL_NS}"
    )


def test_ctrl_c_still_cleans_up(fake: FakeKube, client: Client) -> None:
    seed(fake)

    def interrupted(namespace: str) -> Fingerprint:
        raise KeyboardInterrupt

    with FakeVelero(fake), pytest.raises(KeyboardInterrupt):
        execute(client, interrupted)
    assert fake.get("Pod", "postgres-0", DRILL_NS) is None
    assert fake.get("Namespace", DRILL_NS) is None


def test_no_completed_backup_means_no_drill(fake: FakeKube, client: Client) -> None:
    fake.add(backup("newest-failed", "Failed"))
    with pytest.raises(ActionFailed, match="no Completed backup includes namespace taskapp"):
        drill.choose_backup(client, "taskapp")


def test_an_existing_drill_namespace_is_refused(fake: FakeKube, client: Client) -> None:
    from tests.support.fake_velero import namespace

    seed(fake)
    fake.add(namespace(DRILL_NS))
    plan, _ = prepare(client)
    assert plan.refusals == (f"namespace {DRILL_NS} already exists; the drill only uses a new one",)


def test_the_newest_backup_is_the_one_taken_last_not_the_object_created_last(
    fake: FakeKube, client: Client
) -> None:
    # After a rebuild Velero syncs old backups back from the bucket: new objects, old data.
    seed(fake)
    fake.add(backup("synced", created="2026-11-26T11:00:00Z", started="2026-11-12T03:00:00Z"))
    plan, _ = prepare(client)
    assert plan.steps[0].body is not None
    assert plan.steps[0].body["spec"]["backupName"] == "good"
