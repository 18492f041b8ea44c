"""The throwaway PostgreSQL fixture really runs a server we can write to and read from."""

from __future__ import annotations

import asyncpg
import pytest

from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.anyio


async def test_create_table_and_read_it_back(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)")
        await conn.executemany("INSERT INTO notes (body) VALUES ($1)", [("ünïcode",), ("two",)])
        rows = await conn.fetch("SELECT body FROM notes ORDER BY id")
    finally:
        await conn.close()
    assert [r["body"] for r in rows] == ["ünïcode", "two"]


async def test_wrong_password_is_refused(postgres: PostgresServer) -> None:
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(postgres.dsn(password="wrong"))


def test_server_survives_a_restart(own_postgres: PostgresServer) -> None:
    own_postgres.psql("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
    own_postgres.restart()
    assert own_postgres.psql("SELECT v FROM kept") == "42"
