"""Transports to the test PostgreSQL server and a table set that is hard to dump."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.db.dsn import Dsn
from labctl.db.transport import LocalTransport
from tests.support.postgres import PostgresServer, pg_binary

# Unicode in every plane we meet, a 3 MB value, NULLs in every nullable column, a quoted table
# name that needs escaping, and an empty table: what a dump most easily gets wrong.
HARD_DATA = r'''
CREATE TABLE tasks (
  id bigserial PRIMARY KEY, owner text NOT NULL, title text, notes text, done boolean,
  created_at timestamptz, payload bytea
);
INSERT INTO tasks (owner, title, notes, done, created_at, payload) VALUES
  ('anna@example.com', 'Grüße, 日本語, emoji 🚀, ñ', E'line one\nline two\ttab \\ backslash', true,
   '2026-01-02 03:04:05+00', '\x00ff10'::bytea),
  ('bob@example.com', NULL, NULL, NULL, NULL, NULL),
  ('carol@example.com', repeat('x', 500), repeat('long text é ', 300000), false, now(), NULL),
  ('dave@example.com', E'\\.', E'a line that is only a backslash-dot:\n\\.\n', false, now(), '');
INSERT INTO tasks (owner, title) SELECT 'bulk' || g, 'row ' || g FROM generate_series(1, 2000) g;
CREATE SCHEMA "Other Schema";
CREATE TABLE "Other Schema"."odd ""name""" (k int, v text);
INSERT INTO "Other Schema"."odd ""name""" VALUES (1, 'ö'), (NULL, NULL);
CREATE TABLE empty_table (x int);
'''


@pytest.fixture(scope="session")
def pg_bin() -> Path:
    return Path(pg_binary("pg_dump")).parent


def transport_for(dsn: str, pg_bin: Path) -> LocalTransport:
    return LocalTransport(Dsn.parse(dsn), bin_dir=pg_bin)


@pytest.fixture
def transport(postgres_dsn: str, pg_bin: Path) -> LocalTransport:
    return transport_for(postgres_dsn, pg_bin)


@pytest.fixture
def hard_db(postgres: PostgresServer, transport: LocalTransport) -> LocalTransport:
    postgres.psql(HARD_DATA, transport.dsn.database)
    return transport
