"""The drill end to end with real data: a fingerprint recorded from one PostgreSQL database at
backup time, and a "restored" database made by `db dump` + `db restore`, checked by the drill."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lightkube import Client

from labctl.actions import backup, drill
from labctl.actions.plan import Executor
from labctl.db.dump import dump_database
from labctl.db.fingerprint import Fingerprint, fingerprint
from labctl.db.restore import restore_database
from labctl.db.transport import LocalTransport
from tests.db.conftest import HARD_DATA, transport_for
from tests.support.fake_kube import FakeKube
from tests.support.fake_velero import FakeVelero, pod
from tests.support.postgres import PostgresServer, pg_binary

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def databases(postgres: PostgresServer, tmp_path: Path) -> dict[str, LocalTransport]:
    """`taskapp` with data, and the copy a restore would bring back, made with dump+restore."""
    bin_dir = Path(pg_binary("pg_dump")).parent
    source = transport_for(postgres.create_database(f"drill_src_{tmp_path.name[-8:]}"), bin_dir)
    postgres.psql(HARD_DATA, source.dsn.database)
    copy = transport_for(postgres.create_database(f"drill_copy_{tmp_path.name[-8:]}"), bin_dir)
    dump_database(source, tmp_path / "taskapp.dump")
    restore_database(copy, tmp_path / "taskapp.dump")
    return {"taskapp": source, "copy": copy}


def probe_for(databases: dict[str, LocalTransport]) -> Callable[[str], Fingerprint]:
    """The source namespace reads the source database; any drill namespace reads the copy."""
    return lambda ns: fingerprint(databases["taskapp" if ns == "taskapp" else "copy"])


def back_up_then_drill(
    fake: FakeKube, client: Client, databases: dict[str, LocalTransport]
) -> drill.DrillReport:
    fake.add(pod("postgres-0", "taskapp", {"app.kubernetes.io/name": "postgres"}))
    probe = probe_for(databases)
    with FakeVelero(fake):
        plan = backup.plan_backup("manual-1", ["taskapp"])
        Executor(backup.step_applier(client, probe), retry_interval=0.02, timeout=10).run(plan)
        setup = drill.prepare_drill(client, "taskapp", NOW)
        assert setup.recorded is not None and setup.recorded.rows["public.tasks"] == 2004
        return drill.execute_drill(client, setup, "taskapp", probe, retry_interval=0.02, timeout=10)


def test_a_faithful_copy_passes_against_the_recorded_fingerprint(
    fake: FakeKube, client: Client, databases: dict[str, LocalTransport]
) -> None:
    report = back_up_then_drill(fake, client, databases)
    assert report.passed, report
    assert report.reference == "fingerprint recorded at backup time"


def test_one_changed_row_in_the_copy_fails_the_drill(
    fake: FakeKube,
    client: Client,
    databases: dict[str, LocalTransport],
    postgres: PostgresServer,
) -> None:
    postgres.psql(
        "UPDATE tasks SET notes = 'silently corrupted' WHERE id = 3", databases["copy"].dsn.database
    )
    report = back_up_then_drill(fake, client, databases)
    assert not report.passed and report.cleaned_up
    assert len(report.problems) == 1 and report.problems[0].startswith("public.tasks: checksum")
