"""Both transports: errors without passwords, and the exec command the pod would run."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from labctl.db.dsn import Dsn
from labctl.db.errors import DbError, DbTimeout, DbUnreachable
from labctl.db.transport import LocalTransport, PodExecTransport
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres


def test_a_wrong_password_fails_without_showing_it(postgres: PostgresServer, pg_bin: Path) -> None:
    dsn = Dsn.parse(postgres.dsn("postgres", "postgres", "Wr0ng-Secret"))
    with pytest.raises(DbUnreachable) as error:
        LocalTransport(dsn, bin_dir=pg_bin).run("psql", ["-c", "SELECT 1"])
    assert "Wr0ng-Secret" not in str(error.value)
    assert "password authentication failed" in str(error.value)
    assert "postgresql://postgres:***@127.0.0.1" in str(error.value)


def test_the_password_is_not_on_the_command_line(
    postgres: PostgresServer, transport: LocalTransport
) -> None:
    # psql reports its own connection: the process got the password from the environment.
    out = transport.run("psql", ["-X", "-A", "-t", "-c", "SELECT current_user"])
    assert out.strip() == b"postgres"
    assert transport.dsn.password and transport.dsn.password not in transport.dsn.without_password


def test_a_tool_running_past_the_timeout_is_stopped(transport: LocalTransport) -> None:
    slow = LocalTransport(transport.dsn, transport.bin_dir, timeout=0.5)
    with pytest.raises(DbTimeout, match=r"psql on .* was stopped after 0.5s \(--timeout\)"):
        slow.run("psql", ["-X", "-c", "SELECT pg_sleep(30)"])
    assert DbTimeout.exit_code == 5


def test_a_tool_within_the_timeout_is_left_alone(transport: LocalTransport) -> None:
    quick = LocalTransport(transport.dsn, transport.bin_dir, timeout=30)
    assert quick.run("psql", ["-X", "-A", "-t", "-c", "SELECT 41 + 1"]).strip() == b"42"


def test_a_failing_statement_raises_with_the_server_message(transport: LocalTransport) -> None:
    with pytest.raises(DbError, match=r"relation .*nope.* does not exist"):
        transport.run("psql", ["-X", "-v", "ON_ERROR_STOP=1", "-c", "SELECT * FROM nope"])


@dataclass
class StubExec:
    """Records lightkube `Client.exec` calls; answers like a pod whose tool printed `output`."""

    output: bytes = b""
    exit_code: int = 0
    calls: list[dict[str, Any]] = field(default_factory=list)

    def exec(self, name: str, **kwargs: Any) -> Any:
        from lightkube.types import ExecResponse

        self.calls.append({"name": name, **kwargs})
        kwargs["stdout"].write(self.output)
        return ExecResponse(stdout=None, stderr=b"boom\n", exit_code=self.exit_code)


def test_pod_exec_runs_the_tool_in_the_pod_with_local_auth() -> None:
    client = StubExec(output=b"[1]\n")
    transport = PodExecTransport(client, "postgres-0", "taskapp", "taskappdb", "taskapp")  # type: ignore[arg-type]
    stdin = io.BytesIO(b"data")
    assert transport.run("psql", ["-c", "SELECT 1"], stdin=stdin) == b"[1]\n"
    call = client.calls[0]
    assert call["name"] == "postgres-0" and call["namespace"] == "taskapp"
    assert call["command"] == [
        "psql",
        "--no-password",
        "-U",
        "taskapp",
        "-d",
        "taskappdb",
        "-c",
        "SELECT 1",
    ]
    assert call["stdin"] is stdin and call["decode"] is None


def test_pod_exec_failure_carries_stderr() -> None:
    transport = PodExecTransport(StubExec(exit_code=1), "pg", "ns", "db", "u")  # type: ignore[arg-type]
    with pytest.raises(DbError, match=r"pg_dump failed \(exit 1\) in pod ns/pg .*boom"):
        transport.run("pg_dump", [], stdout=io.BytesIO())
