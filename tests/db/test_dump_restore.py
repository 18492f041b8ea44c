"""Dump, drop, restore, compare, against a real PostgreSQL: zero rows lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labctl.db.dump import dump_database, partial_path
from labctl.db.errors import DumpCorrupted, RestoreRefused
from labctl.db.metadata import metadata_path, sha256_of
from labctl.db.restore import restore_database
from labctl.db.transport import LocalTransport
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres

TABLES = ('"Other Schema"."odd ""name"""', "public.empty_table", "public.tasks")


def contents(postgres: PostgresServer, database: str) -> dict[str, str]:
    """Every row of every test table, as text in a stable order."""
    return {
        table: postgres.psql(f"SELECT t::text FROM {table} t ORDER BY t::text", database)
        for table in TABLES
    }


def recreate(postgres: PostgresServer, database: str) -> None:
    postgres.psql(f'DROP DATABASE "{database}" WITH (FORCE)')
    postgres.psql(f'CREATE DATABASE "{database}"')


def test_round_trip_loses_no_row(
    postgres: PostgresServer, hard_db: LocalTransport, tmp_path: Path
) -> None:
    database = hard_db.dsn.database
    before = contents(postgres, database)
    dump = tmp_path / "db.dump"
    metadata = dump_database(hard_db, dump)
    recreate(postgres, database)
    report = restore_database(hard_db, dump)
    assert contents(postgres, database) == before
    assert report.ok and report.differences == []
    assert {t.table: t.actual for t in report.tables} == {
        '"Other Schema"."odd ""name"""': 2,
        "public.empty_table": 0,
        "public.tasks": 2004,
    }
    assert metadata.rows == {t.table: t.expected for t in report.tables}


def test_metadata_describes_the_file(hard_db: LocalTransport, tmp_path: Path) -> None:
    dump = tmp_path / "db.dump"
    metadata = dump_database(hard_db, dump)
    on_disk = json.loads(metadata_path(dump).read_text())
    assert (on_disk["sha256"], on_disk["size"]) == sha256_of(dump)
    assert on_disk["server_version"].startswith("15")
    assert on_disk["database"] == hard_db.dsn.database
    assert on_disk["rows"]["public.tasks"] == 2004 == metadata.rows["public.tasks"]
    assert not partial_path(dump).exists()


def test_restore_refuses_a_database_that_holds_tables(
    postgres: PostgresServer, hard_db: LocalTransport, tmp_path: Path
) -> None:
    dump = tmp_path / "db.dump"
    dump_database(hard_db, dump)
    postgres.psql("DELETE FROM tasks WHERE id > 3", hard_db.dsn.database)
    with pytest.raises(RestoreRefused, match="not empty"):
        restore_database(hard_db, dump)
    assert postgres.psql("SELECT count(*) FROM tasks", hard_db.dsn.database) == "3"
    report = restore_database(hard_db, dump, force=True)
    assert report.ok
    assert postgres.psql("SELECT count(*) FROM tasks", hard_db.dsn.database) == "2004"


def test_a_corrupted_dump_is_refused_before_the_database_is_contacted(
    hard_db: LocalTransport, tmp_path: Path
) -> None:
    dump = tmp_path / "db.dump"
    dump_database(hard_db, dump)
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    calls: list[str] = []

    class Recording:
        description = "recording"

        def run(self, tool: str, *args: object, **kwargs: object) -> bytes:
            calls.append(tool)
            raise AssertionError("the database must not be touched")

    with pytest.raises(DumpCorrupted, match="does not match its metadata"):
        restore_database(Recording(), dump, force=True)
    assert calls == []


def test_a_dump_without_metadata_is_refused(hard_db: LocalTransport, tmp_path: Path) -> None:
    dump = tmp_path / "db.dump"
    dump_database(hard_db, dump)
    metadata_path(dump).unlink()
    with pytest.raises(DumpCorrupted, match="missing"):
        restore_database(hard_db, dump)


def test_a_row_count_difference_fails_the_report(
    postgres: PostgresServer, hard_db: LocalTransport, tmp_path: Path
) -> None:
    dump = tmp_path / "db.dump"
    dump_database(hard_db, dump)
    meta = json.loads(metadata_path(dump).read_text())
    meta["rows"]["public.tasks"] = 2005  # as if a row had been lost on the way
    metadata_path(dump).write_text(json.dumps(meta))
    recreate(postgres, hard_db.dsn.database)
    report = restore_database(hard_db, dump)
    assert not report.ok
    assert [(t.table, t.expected, t.actual) for t in report.differences] == [
        ("public.tasks", 2005, 2004)
    ]
