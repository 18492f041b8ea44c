"""Fixtures shared by every test suite."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.support.postgres import PostgresServer, running_postgres

_database_names = (f"test_{n}" for n in itertools.count(1))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session; tests take a fresh database from it."""
    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_dsn(postgres: PostgresServer) -> str:
    """A fresh, empty database on the session's server, as a superuser DSN."""
    return postgres.create_database(next(_database_names))


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A server of the test's own, for tests that stop or restart it."""
    with running_postgres() as server:
        yield server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
