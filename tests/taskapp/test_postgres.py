"""TaskApp on a real PostgreSQL: the API, start-up without the database, restarts under load,
and credential rotation under load with zero failed requests.

The servers run as `taskapp serve` subprocesses; load comes from this process over loopback.
"""

from __future__ import annotations

import itertools
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx
import pytest

from tests.support.postgres import PostgresServer
from tests.taskapp.support import BIN, app_client, running_server

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]
_names = (f"taskapp_{n}" for n in itertools.count(1))


def _asyncpg_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


@dataclass
class Load:
    """Concurrent clients; every response is recorded, every 201 remembered."""

    url: str
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    created: dict[int, str] = field(default_factory=dict)
    running: bool = True

    async def worker(self, client: httpx.AsyncClient, n: int, mix: bool) -> None:
        for i in itertools.count():
            if not self.running:
                return
            try:
                if mix and i % 3 == 1:
                    response = await client.get("/api/tasks?limit=20")
                elif mix and i % 3 == 2 and self.created:
                    task_id = next(reversed(self.created))
                    response = await client.patch(f"/api/tasks/{task_id}", json={"completed": True})
                else:
                    title = f"w{n}-{i}"
                    response = await client.post("/api/tasks", json={"title": title})
                    if response.status_code == 201:
                        self.created[response.json()["id"]] = title
                self.statuses[response.status_code] += 1
                if response.status_code >= 400:
                    self.failures.append(f"{response.status_code} {response.text[:200]}")
            except httpx.HTTPError as exc:
                self.statuses[0] += 1
                self.failures.append(repr(exc))

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)


class _LoadRunner:
    """`async with _LoadRunner(load, workers, mix) as load:` runs the workers for the block."""

    def __init__(self, load: Load, workers: int, mix: bool) -> None:
        self.load, self.workers, self.mix = load, workers, mix

    async def __aenter__(self) -> Load:
        self._client = httpx.AsyncClient(
            base_url=self.load.url,
            timeout=15,
            limits=httpx.Limits(max_connections=self.workers),
        )
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        for n in range(self.workers):
            self._group.start_soon(self.load.worker, self._client, n, self.mix)
        return self.load

    async def __aexit__(self, *exc: object) -> None:
        self.load.running = False
        await self._group.__aexit__(None, None, None)
        await self._client.aclose()


def _wait_for(predicate: object, timeout: float, message: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(message)


async def _until(client: httpx.AsyncClient, path: str, status: int, within: float) -> None:
    with anyio.fail_after(within):
        while True:
            try:
                if (await client.get(path)).status_code == status:
                    return
            except httpx.HTTPError:
                pass
            await anyio.sleep(0.05)


def _grant(postgres: PostgresServer, database: str, role: str, password: str, valid: str) -> None:
    postgres.psql(
        f"CREATE ROLE {role} LOGIN PASSWORD '{password}' VALID UNTIL '{valid}';"
        f"GRANT CONNECT ON DATABASE {database} TO {role};"
        f"GRANT USAGE ON SCHEMA public TO {role};"
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON tasks TO {role};"
        f"GRANT SELECT ON alembic_version TO {role};"
        f"GRANT USAGE ON SEQUENCE tasks_id_seq TO {role};",
        database,
    )


def _write_creds(path: Path, user: str, password: str) -> None:
    """Replace the file atomically, as Vault Agent does."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f'export DATABASE_USER="{user}"\nexport DATABASE_PASSWORD="{password}"\n')
    os.replace(tmp, path)


def _sessions(postgres: PostgresServer, role: str) -> int:
    return int(postgres.psql(f"SELECT count(*) FROM pg_stat_activity WHERE usename = '{role}'"))


def _migrate(dsn: str) -> None:
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKAPP_")}
    env["TASKAPP_DATABASE_URL"] = dsn
    env["TASKAPP_DATABASE_CREDENTIALS_FILE"] = "/nonexistent"
    subprocess.run([str(BIN / "taskapp"), "migrate"], env=env, check=True, capture_output=True)


async def test_api_on_postgresql(postgres_dsn: str, tmp_path: Path) -> None:
    from tests.taskapp.support import sqlite_settings

    settings = sqlite_settings(
        tmp_path, database_url=postgres_dsn, database_credentials_file=tmp_path / "none"
    )
    async with app_client(settings) as client:
        ids = [
            (await client.post("/api/tasks", json={"title": f"t{n}"})).json()["id"]
            for n in range(5)
        ]
        page = await client.get("/api/tasks?limit=2")
        assert [t["id"] for t in page.json()] == ids[::-1][:2]
        second = await client.get(page.links["next"]["url"])
        assert [t["id"] for t in second.json()] == ids[::-1][2:4]
        patched = await client.patch(f"/api/tasks/{ids[0]}", json={"completed": True})
        assert patched.json()["completed"] is True
        assert (await client.delete(f"/api/tasks/{ids[0]}")).status_code == 204
        for bad in (b'{"title": "a\\u0000b"}', b'{"title": "\\udfff"}'):
            response = await client.post(
                "/api/tasks", content=bad, headers={"content-type": "application/json"}
            )
            assert response.status_code == 422
        assert (await client.get(f"/api/tasks/{2**63 - 1}")).status_code == 404
        assert (await client.get(f"/api/tasks/{-(2**63)}")).status_code == 404


async def test_list_json_written_by_postgresql_is_the_same_bytes(
    postgres_dsn: str, tmp_path: Path
) -> None:
    from tests.taskapp.support import sqlite_settings

    settings = sqlite_settings(
        tmp_path, database_url=postgres_dsn, database_credentials_file=tmp_path / "none"
    )
    titles = [
        'say "hi"',
        "back\\slash",
        "tab\tnew\nline",
        "ctl \x01\x1f\x7f",
        "é ü ß",
        "emoji \U0001f600",
        "</script><b>",
        "a\u2028b\u2029c",
        "/ slash",
    ]
    async with app_client(settings) as client:
        ids = [(await client.post("/api/tasks", json={"title": t})).json()["id"] for t in titles]
        await client.patch(f"/api/tasks/{ids[0]}", json={"completed": True})
        listed = await client.get("/api/tasks?limit=100")
        singles = [(await client.get(f"/api/tasks/{i}")).content for i in reversed(ids)]
    assert listed.content == b"[" + b",".join(singles) + b"]"
    assert [task["title"] for task in listed.json()] == titles[::-1]


async def test_start_with_database_down(own_postgres: PostgresServer, tmp_path: Path) -> None:
    own_postgres.stop()
    env = {"TASKAPP_DATABASE_URL": own_postgres.superuser_dsn}
    with running_server(tmp_path, env) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            api = await client.post("/api/tasks", json={"title": "too early"})
            assert api.status_code == 503
            assert api.headers["content-type"] == "application/problem+json"
            for leak in ("127.0.0.1", str(own_postgres.port), "postgres", "refused"):
                assert leak not in ready.text + api.text
            own_postgres.start()
            await _until(client, "/readyz", 200, within=20)
            created = await client.post("/api/tasks", json={"title": "now"})
            assert created.status_code == 201
        assert server.alive()


async def test_survives_postgres_restart_under_load(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    own_postgres.create_database("tasks")
    env = {"TASKAPP_DATABASE_URL": own_postgres.dsn("tasks")}
    with running_server(tmp_path, env) as server:
        server.wait_ready()
        readiness: list[int] = []
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=10) as probe,
            _LoadRunner(Load(server.url), workers=8, mix=False) as load,
        ):
            await anyio.sleep(1.0)
            await anyio.to_thread.run_sync(own_postgres.stop)
            with anyio.fail_after(10):
                while not readiness or readiness[-1] != 503:
                    readiness.append((await probe.get("/readyz")).status_code)
                    await anyio.sleep(0.05)
            await anyio.sleep(1.0)
            await anyio.to_thread.run_sync(own_postgres.start)
            with anyio.fail_after(20):
                while readiness[-1] != 200:
                    readiness.append((await probe.get("/readyz")).status_code)
                    await anyio.sleep(0.05)
            before = load.ok
            await anyio.sleep(1.0)
            after = load.ok
        assert server.alive(), server.log()
        assert 503 in readiness and readiness[-1] == 200
        assert set(load.statuses) <= {201, 503}, load.failures[:5]
        assert after - before > 20, "writes did not resume after the restart"
        stored = dict(
            line.split("|", 1)
            for line in own_postgres.psql("SELECT id, title FROM tasks", "tasks").splitlines()
        )
        lost = {i: t for i, t in load.created.items() if stored.get(str(i)) != t}
        assert not lost, f"acknowledged writes lost: {list(lost.items())[:5]}"
        assert "Traceback" not in server.log()


@pytest.fixture
def rotation_db(postgres: PostgresServer) -> str:
    name = next(_names)
    dsn = postgres.create_database(name)
    _migrate(dsn)
    return name


async def test_rotation_under_load_fails_no_request(
    postgres: PostgresServer, rotation_db: str, tmp_path: Path
) -> None:
    a, b = f"{rotation_db}_a", f"{rotation_db}_b"
    soon = postgres.psql("SELECT now() + interval '20 seconds'")
    _grant(postgres, rotation_db, a, "pw-a", soon)
    _grant(postgres, rotation_db, b, "pw-b", "infinity")
    creds = tmp_path / "db-creds"
    _write_creds(creds, a, "pw-a")
    env = {
        "TASKAPP_DATABASE_URL": f"postgresql://127.0.0.1:{postgres.port}/{rotation_db}",
        "TASKAPP_DATABASE_CREDENTIALS_FILE": str(creds),
        "TASKAPP_CREDENTIALS_POLL_INTERVAL": "0.2",
        "TASKAPP_MIGRATE_ON_START": "false",
    }
    with running_server(tmp_path, env) as server:
        server.wait_ready()
        async with _LoadRunner(Load(server.url), workers=12, mix=True) as load:
            await anyio.sleep(1.0)
            assert _sessions(postgres, a) > 0
            served_by_a = load.ok
            _write_creds(creds, b, "pw-b")
            # The app must let go of role A by itself: no session of A may remain.
            await anyio.to_thread.run_sync(
                lambda: _wait_for(lambda: _sessions(postgres, a) == 0, 15, "role A still held")
            )
            assert _sessions(postgres, b) > 0
            postgres.psql(
                f"ALTER ROLE {a} NOLOGIN;"
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{a}';"
                f"DROP OWNED BY {a}; DROP ROLE {a};",
                rotation_db,
            )
            before = load.ok
            await anyio.sleep(1.5)
            after = load.ok
        async with httpx.AsyncClient(base_url=server.url) as client:
            metrics = (await client.get("/metrics")).text
    assert load.failures == [], load.failures[:5]
    assert served_by_a > 20 and after - before > 20
    assert 'taskapp_credential_reloads_total{result="applied"} 1.0' in metrics
    assert "database credentials reloaded" in server.log()


async def test_login_failure_rereads_credentials(
    postgres: PostgresServer, rotation_db: str, tmp_path: Path
) -> None:
    a, b = f"{rotation_db}_a", f"{rotation_db}_b"
    _grant(postgres, rotation_db, a, "pw-a", "infinity")
    _grant(postgres, rotation_db, b, "pw-b", "infinity")
    creds = tmp_path / "db-creds"
    _write_creds(creds, a, "pw-a")
    env = {
        "TASKAPP_DATABASE_URL": f"postgresql://127.0.0.1:{postgres.port}/{rotation_db}",
        "TASKAPP_DATABASE_CREDENTIALS_FILE": str(creds),
        "TASKAPP_CREDENTIALS_POLL_INTERVAL": "3600",  # the watcher will not notice in time
        "TASKAPP_MIGRATE_ON_START": "false",
    }
    with running_server(tmp_path, env) as server:
        server.wait_ready()
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            assert (await client.post("/api/tasks", json={"title": "as A"})).status_code == 201
            _write_creds(creds, b, "pw-b")
            postgres.psql(
                f"ALTER ROLE {a} NOLOGIN;"
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{a}';",
                rotation_db,
            )
            await anyio.sleep(0.2)  # let the app see its connections closed
            statuses = [
                (await client.post("/api/tasks", json={"title": f"as B {n}"})).status_code
                for n in range(10)
            ]
            listed = await client.get("/api/tasks")
        assert statuses == [201] * 10, server.log()[-2000:]
        assert len(listed.json()) == 11
        assert _sessions(postgres, b) > 0
