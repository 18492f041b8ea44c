"""Schemathesis against `taskapp serve`: the OpenAPI document says exactly what the server accepts.

Every check is on (`--checks all`): no server error, every answer as documented (status,
content type, headers, body), every schema-valid request accepted and every schema-violating
one refused, `Allow` on 405s, and the stateful checks that follow `Location` links. The example
count is bounded so that each backend takes well under a minute; the seed is fixed so a failure
can be replayed, and printed with the whole report.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer
from tests.taskapp.support import BIN, running_server

EXAMPLES = 80
SEED = 16


def _schemathesis(url: str, tmp_path: Path) -> None:
    command = [
        str(BIN / "st"),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",  # its worker threads trip over Hypothesis' lambda-source cache
        "--generation-database",
        "none",
        "--no-color",
        "--report-dir",
        str(tmp_path / "report"),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=240, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr[-5_000:]
    assert " passed" in result.stdout, result.stdout  # it ran test cases, not nothing


@pytest.mark.timeout(300)
def test_schemathesis_on_sqlite(tmp_path: Path) -> None:
    env = {"TASKAPP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"}
    with running_server(tmp_path, env) as server:
        server.wait_ready()
        _schemathesis(server.url, tmp_path)
        assert server.alive()


@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_schemathesis_on_postgres(tmp_path: Path, postgres: PostgresServer) -> None:
    env = {"TASKAPP_DATABASE_URL": postgres.create_database("schemathesis")}
    with running_server(tmp_path, env) as server:
        server.wait_ready()
        _schemathesis(server.url, tmp_path)
        assert server.alive()
