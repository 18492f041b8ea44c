"""The asyncpg pool behind requests on PostgreSQL: what it keeps, replaces and closes."""

from __future__ import annotations

from typing import Any

import anyio
import asyncpg
import pytest

from taskapp.credentials import Credentials
from taskapp.db.connect import make_pg_pool, normalize_url
from taskapp.db.pg_pool import PgPool
from taskapp.settings import Settings
from tests.support.postgres import PostgresServer

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


def _pool(dsn: str, **settings: Any) -> PgPool:
    values: dict[str, Any] = {"database_url": dsn, "db_pool_size": 2, **settings}
    return make_pg_pool(normalize_url(dsn), None, Settings(**values))


def _sessions(postgres: PostgresServer, dsn: str) -> int:
    database = dsn.rsplit("/", 1)[1].split("?")[0]
    return int(
        postgres.psql(
            "SELECT count(*) FROM pg_stat_activity "
            f"WHERE datname = '{database}' AND application_name = 'taskapp'"
        )
    )


async def _eventually(predicate: object, within: float = 5.0) -> None:
    assert callable(predicate)
    with anyio.fail_after(within):
        while True:
            if predicate():
                return
            await anyio.sleep(0.02)


async def test_reuses_a_returned_connection(postgres_dsn: str) -> None:
    pool = _pool(postgres_dsn)
    first = await pool.acquire()
    pool.release(first)
    second = await pool.acquire()
    assert second is first
    assert await second.fetchval("SELECT 1") == 1
    pool.release(second)
    assert pool.stats() == {"checked_out": 0, "idle": 1, "overflow": 0}
    await pool.close()


async def test_replaces_a_connection_the_server_closed(postgres_dsn: str) -> None:
    pool = _pool(postgres_dsn)
    conn = await pool.acquire()
    pid = conn.get_server_pid()
    pool.release(conn)
    superuser = await asyncpg.connect(postgres_dsn)
    await superuser.execute(f"SELECT pg_terminate_backend({pid})")
    await superuser.close()
    await _eventually(conn.is_closed)
    fresh = await pool.acquire()
    assert fresh is not conn
    assert await fresh.fetchval("SELECT pg_backend_pid()") != pid
    pool.release(fresh)
    await pool.close()


async def test_never_reuses_a_broken_connection(
    postgres: PostgresServer, postgres_dsn: str
) -> None:
    pool = _pool(postgres_dsn)
    conn = await pool.acquire()
    pool.release(conn, broken=True)
    assert conn.is_closed()
    assert pool.stats() == {"checked_out": 0, "idle": 0, "overflow": 0}
    await _eventually(lambda: _sessions(postgres, postgres_dsn) == 0)
    await pool.close()


async def test_closes_the_surplus_over_the_pool_size(
    postgres: PostgresServer, postgres_dsn: str
) -> None:
    pool = _pool(postgres_dsn)  # keeps 2
    conns = [await pool.acquire() for _ in range(3)]
    assert pool.stats()["overflow"] == 1
    for conn in conns:
        pool.release(conn)
    assert pool.stats() == {"checked_out": 0, "idle": 2, "overflow": 0}
    await _eventually(lambda: _sessions(postgres, postgres_dsn) == 2)
    await pool.close()
    await _eventually(lambda: _sessions(postgres, postgres_dsn) == 0)


async def test_recycles_old_connections(postgres_dsn: str) -> None:
    pool = _pool(postgres_dsn, db_pool_recycle=1)
    conn = await pool.acquire()
    pool.release(conn)
    await anyio.sleep(1.1)
    fresh = await pool.acquire()
    assert fresh is not conn
    pool.release(fresh)
    await _eventually(conn.is_closed)
    await pool.close()


async def test_closed_pool_closes_busy_connections_when_returned(
    postgres: PostgresServer, postgres_dsn: str
) -> None:
    pool = _pool(postgres_dsn)
    idle, busy = await pool.acquire(), await pool.acquire()
    pool.release(idle)
    await pool.close()
    assert idle.is_closed() and not busy.is_closed()
    pool.release(busy)
    await _eventually(busy.is_closed)
    await _eventually(lambda: _sessions(postgres, postgres_dsn) == 0)
    with pytest.raises(asyncpg.exceptions.InterfaceError):
        await pool.acquire()


async def test_logs_in_with_the_given_credentials(postgres: PostgresServer) -> None:
    dsn = postgres.create_database("pool_creds")
    postgres.psql("CREATE ROLE pool_user LOGIN PASSWORD 'p@ss:w/rd?#%'")
    url = normalize_url(dsn)
    settings = Settings(database_url=dsn)
    pool = make_pg_pool(url, Credentials("pool_user", "p@ss:w/rd?#%"), settings)
    conn = await pool.acquire()
    assert await conn.fetchval("SELECT current_user") == "pool_user"
    assert await conn.fetchval("SELECT current_setting('application_name')") == "taskapp"
    pool.release(conn)
    await pool.close()
