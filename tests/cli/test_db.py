"""`labctl db dump|restore|users` against a real PostgreSQL through --dsn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.cli.db import app
from tests.support.postgres import PostgresServer, pg_binary

pytestmark = pytest.mark.postgres
runner = CliRunner()


@pytest.fixture
def pg_bin() -> str:
    return str(Path(pg_binary("pg_dump")).parent)


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def source(postgres: PostgresServer, postgres_dsn: str) -> str:
    database = postgres_dsn.rsplit("/", 1)[1]
    postgres.psql(
        "CREATE TABLE tasks (id int PRIMARY KEY, title text); "
        "INSERT INTO tasks SELECT g, 'täsk ' || g FROM generate_series(1, 25) g",
        database,
    )
    return postgres_dsn


def test_dump_then_restore_into_an_empty_database(
    postgres: PostgresServer, source: str, pg_bin: str, tmp_path: Path
) -> None:
    out = tmp_path / "tasks.dump"
    code, text = invoke("dump", "-o", str(out), "--dsn", source, "--pg-bin", pg_bin)
    assert code == 0, text
    assert f"wrote {out} (" in text and "rows: 25 in 1 tables" in text
    assert postgres.password not in text and ":***@" in text
    target = postgres.create_database("cli_restore_target")
    code, text = invoke("restore", str(out), "--yes", "--dsn", target, "--pg-bin", pg_bin)
    assert code == 0, text
    assert "Plan: restore tasks.dump (3 steps)" in text
    assert text.splitlines()[-2].split() == ["public.tasks", "25", "25", "yes"]
    assert "every row count matches" in text and postgres.password not in text


def test_restore_refuses_a_non_empty_database_with_exit_3(
    source: str, pg_bin: str, tmp_path: Path
) -> None:
    out = tmp_path / "tasks.dump"
    assert invoke("dump", "-o", str(out), "--dsn", source, "--pg-bin", pg_bin)[0] == 0
    code, text = invoke("restore", str(out), "--yes", "--dsn", source, "--pg-bin", pg_bin)
    assert code == 3 and "is not empty (1 tables, views or sequences)" in text


def test_restore_without_yes_is_not_confirmed(source: str, pg_bin: str, tmp_path: Path) -> None:
    out = tmp_path / "tasks.dump"
    assert invoke("dump", "-o", str(out), "--dsn", source, "--pg-bin", pg_bin)[0] == 0
    code, text = invoke("restore", str(out), "--dsn", source, "--pg-bin", pg_bin)
    assert code == 3 and "re-run with --yes" in text


def test_a_corrupted_dump_exits_1_before_restoring(
    source: str, pg_bin: str, tmp_path: Path
) -> None:
    out = tmp_path / "tasks.dump"
    assert invoke("dump", "-o", str(out), "--dsn", source, "--pg-bin", pg_bin)[0] == 0
    out.write_bytes(out.read_bytes()[:-10])
    code, text = invoke(
        "restore", str(out), "--yes", "--force", "--dsn", source, "--pg-bin", pg_bin
    )
    assert code == 1 and "does not match its metadata" in text


def test_dump_refuses_to_overwrite(source: str, pg_bin: str, tmp_path: Path) -> None:
    out = tmp_path / "tasks.dump"
    out.write_text("precious")
    code, text = invoke("dump", "-o", str(out), "--dsn", source, "--pg-bin", pg_bin)
    assert code == 1 and "already exists" in text and out.read_text() == "precious"


def test_users_as_json(source: str, pg_bin: str) -> None:
    code, text = invoke(
        "users", "-o", "json", "--prefix", "v-none-", "--dsn", source, "--pg-bin", pg_bin
    )
    assert (code, json.loads(text)) == (0, [])


def test_an_unreachable_database_exits_4_without_the_password(
    postgres: PostgresServer, pg_bin: str
) -> None:
    dsn = postgres.dsn("postgres", "postgres", "Not-The-Password")
    code, text = invoke("users", "--dsn", dsn, "--pg-bin", pg_bin)
    assert code == 4 and "password authentication failed" in text
    assert "Not-The-Password" not in text
