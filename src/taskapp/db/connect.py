"""Building engines: the async driver for a URL, pool options, and connection hygiene."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import URL, event, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from taskapp.credentials import Credentials
from taskapp.db.pg_pool import PgPool
from taskapp.settings import Settings

_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def normalize_url(raw: str) -> URL:
    """The URL with an async driver: `postgresql://` becomes `postgresql+asyncpg://`."""
    url = make_url(raw)
    return url.set(drivername=_DRIVERS.get(url.drivername, url.drivername))


def make_engine(
    url: URL, credentials: Credentials | None, s: Settings, *, pooled: bool = True
) -> AsyncEngine:
    """An engine for `url` as `credentials`: pooled and autocommit for requests, else one-off."""
    if credentials is not None:
        url = url.set(username=credentials.user, password=credentials.password)
    options: dict[str, Any] = {}
    if pooled:
        options["isolation_level"] = "AUTOCOMMIT"
    else:
        options["poolclass"] = NullPool
    if url.get_backend_name() != "postgresql":
        _ensure_sqlite_folder(url)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    if pooled:
        options |= {
            "pool_size": s.db_pool_size,
            "max_overflow": s.db_max_overflow,
            "pool_timeout": s.db_pool_timeout,
            "pool_recycle": s.db_pool_recycle or -1,
            # Autocommit: there is never a transaction to roll back on return.
            "pool_reset_on_return": None,
        }
    engine = create_async_engine(
        url,
        connect_args={
            "timeout": s.db_connect_timeout,
            "command_timeout": s.db_command_timeout,
            "server_settings": {"application_name": "taskapp"},
        },
        **options,
    )
    event.listen(engine.sync_engine, "checkout", _drop_closed_connection)
    return engine


def make_pg_pool(url: URL, credentials: Credentials | None, s: Settings) -> PgPool:
    """The requests' pool on PostgreSQL: plain asyncpg connections as `credentials`."""
    user, password = (
        (credentials.user, credentials.password) if credentials else (url.username, url.password)
    )
    # The rest of the URL (host, port, database, libpq options such as sslmode) as asyncpg reads
    # it; the user and password go as arguments, so no quoting rule can mangle them.
    dsn = url.set(drivername="postgresql", username=None, password=None).render_as_string()

    async def connect() -> asyncpg.Connection:
        conn: asyncpg.Connection = await asyncpg.connect(
            dsn,
            user=user,
            password=password,
            timeout=s.db_connect_timeout,
            command_timeout=s.db_command_timeout,
            server_settings={"application_name": "taskapp"},
        )
        return conn

    return PgPool(connect, keep=s.db_pool_size, recycle=s.db_pool_recycle or None)


def _drop_closed_connection(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """At checkout: a connection the server already closed is replaced, with no round trip."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        raise sa_exc.DisconnectionError("connection closed by the server")


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _ensure_sqlite_folder(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
