"""The `taskapp` command: migrate, token, refusing unsafe settings, graceful shutdown."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.postgres import PostgresServer
from tests.taskapp.support import BIN, running_server


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKAPP_")}
    return env | values


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'tasks.db'}"
    first = subprocess.run(
        [BIN / "taskapp", "migrate"],
        env=_env(TASKAPP_DATABASE_URL=url),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(first.stdout.splitlines()[-1])["msg"] == "database migrated"
    again = subprocess.run(
        [BIN / "taskapp", "migrate"],
        env=_env(TASKAPP_DATABASE_URL=url),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(again.stdout.splitlines()[-1])["msg"] == "database already up to date"


def test_token_prints_a_token_and_its_line() -> None:
    result = subprocess.run(
        [BIN / "taskapp", "token", "alice"], capture_output=True, text=True, check=True
    )
    token_line, file_line = result.stdout.splitlines()
    assert token_line.startswith("token: ")
    assert file_line.startswith("tokens-file line: alice:")


def test_serve_refuses_public_bind_without_auth(tmp_path: Path) -> None:
    result = subprocess.run(
        [BIN / "taskapp", "serve", "--host", "0.0.0.0", "--port", "9"],
        env=_env(TASKAPP_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "TASKAPP_IDENTITY_HEADER" in result.stdout


def test_serve_on_a_taken_port_says_so_and_names_taskapp_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [BIN / "taskapp", "serve"],
            env=_env(
                TASKAPP_PORT=str(port),
                TASKAPP_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
            ),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    message = json.loads(result.stdout.splitlines()[-1])["msg"]
    assert f"port {port} on 127.0.0.1 is already in use" in message
    assert f"TASKAPP_PORT={port + 1}" in message
    assert "Traceback" not in result.stdout + result.stderr


def test_sigterm_finishes_in_flight_requests(tmp_path: Path) -> None:
    env = {"TASKAPP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"}
    with running_server(tmp_path, env) as server:
        server.wait_ready()
        assert server.process is not None
        results: list[int] = []

        def slow_upload() -> None:  # the body arrives after SIGTERM
            def body() -> Iterator[bytes]:
                yield b'{"title": '
                server.process.send_signal(signal.SIGTERM)
                threading.Event().wait(0.5)
                yield b'"finished after SIGTERM"}'

            response = httpx.post(
                f"{server.url}/api/tasks",
                content=body(),
                headers={"content-type": "application/json"},
                timeout=10,
            )
            results.append(response.status_code)

        thread = threading.Thread(target=slow_upload)
        thread.start()
        thread.join(20)
        # uvicorn re-raises the signal once it has shut down cleanly
        assert server.process.wait(20) in (0, -signal.SIGTERM)
    assert results == [201]
    log = server.log()
    assert "running WITHOUT authentication" in log
    assert "taskapp stopped" in log


@pytest.mark.postgres
def test_workers_share_the_port_and_all_stop_on_sigterm(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    env = {"TASKAPP_DATABASE_URL": postgres.create_database("workers"), "TASKAPP_WORKERS": "2"}
    with running_server(tmp_path, env) as server:
        server.wait_ready()
        assert server.process is not None
        workers = _children(server.process.pid)
        assert len(workers) == 2
        with httpx.Client(base_url=server.url) as client:  # new connections: both may answer
            created = [
                httpx.post(f"{server.url}/api/tasks", json={"title": f"t{n}"}) for n in range(20)
            ]
            assert {response.status_code for response in created} == {201}
            assert len(client.get("/api/tasks?limit=100").json()) == 20
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(30) == 0
        assert all(not Path(f"/proc/{pid}").exists() for pid in workers)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found
