"""The database: connection pools that follow rotating credentials and survive restarts.

`Database.run(work)` is the only way the API touches the database. Each API operation is one
statement in autocommit mode: atomic, and a single round trip. Around it:

* **Credentials.** On PostgreSQL the user and password come from the Vault Agent file when it
  exists (else from the URL). A watcher polls the file; when it changes, or when a new connection
  is refused with an authentication error, the file is re-read, a new engine is built and probed,
  and it becomes current. Requests already running keep the old engine until they finish; the old
  engine is then disposed, closing every connection of the old role (PostgreSQL's `VALID UNTIL`
  only stops new logins, so a pool that is never retired keeps an expired role alive).
* **Pools.** On PostgreSQL requests run on plain asyncpg connections from `PgPool` (no
  SQLAlchemy in the request path); on SQLite on SQLAlchemy's pool. SQLAlchemy and Alembic still
  own the schema everywhere.
* **Restarts.** A pooled connection the server closed is noticed at checkout without a round trip
  and replaced. A statement that fails because the connection died is retried once when the
  operation is idempotent, or when the connection was already closed before the statement was
  sent; otherwise the caller gets `DatabaseUnavailable` (HTTP 503), never a stale success.
* **Start-up.** The process starts without the database; a background task connects, migrates
  (`TASKAPP_MIGRATE_ON_START`) and marks the database ready, retrying with back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taskapp.credentials import Credentials, CredentialsError, CredentialsFile
from taskapp.db import migrate
from taskapp.db.connect import make_engine, make_pg_pool, normalize_url
from taskapp.db.crud import Conn
from taskapp.db.errors import (
    SchemaNotMigrated,
    closed_before_sending,
    describe,
    is_auth_error,
    is_connection_error,
)
from taskapp.db.pg_pool import PgPool
from taskapp.errors import DatabaseUnavailable, TaskAppError
from taskapp.metrics import Metrics
from taskapp.settings import Settings

T = TypeVar("T")
Work = Callable[[Conn], Awaitable[T]]

log = logging.getLogger("taskapp.db")


@dataclass(eq=False)
class _Lease:
    """A pool with the credentials it was built from and the requests using it now.

    `pool` on PostgreSQL, else `engine` (SQLAlchemy's pool).
    """

    credentials: Credentials | None
    pool: PgPool | None = None
    engine: AsyncEngine | None = None
    active: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.idle.set()

    def enter(self) -> None:
        self.active += 1
        self.idle.clear()

    def leave(self) -> None:
        self.active -= 1
        if self.active == 0:
            self.idle.set()

    async def probe(self) -> None:
        """Open (or take) a connection and run `SELECT 1` on it."""
        if self.pool is not None:
            conn = await self.pool.acquire()
            try:
                await conn.execute("SELECT 1")
            except BaseException:
                self.pool.release(conn, broken=True)
                raise
            self.pool.release(conn)
        else:
            assert self.engine is not None
            async with self.engine.connect() as sa_conn:
                await sa_conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        if self.engine is not None:
            await self.engine.dispose()


class Database:
    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self._settings = settings
        self._metrics = metrics
        self._url = normalize_url(settings.database_url)
        self._is_postgres = self._url.get_backend_name() == "postgresql"
        self._creds_file = (
            CredentialsFile(settings.database_credentials_file) if self._is_postgres else None
        )
        self._current: _Lease | None = None
        self._retiring: set[_Lease] = set()
        self._lock = asyncio.Lock()
        self._last_forced_read = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        # A FIFO queue in front of the pool. SQLAlchemy's async pool lets a newcomer take a
        # connection just returned while earlier waiters go to the back of the line, which
        # under load starves some requests for hundreds of milliseconds (p99 6x the median).
        self._slots = asyncio.Semaphore(settings.db_pool_size + settings.db_max_overflow)
        self.ready = False
        self.last_error = "starting"

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Build the first engine (no connection yet) and start the background tasks."""
        credentials = None
        if self._creds_file is not None:
            try:
                credentials = self._creds_file.read()
            except (CredentialsError, OSError) as exc:
                log.error("cannot read the credentials file: %s", exc)
            if credentials is None:
                log.info("no credentials file at %s; using the URL's", self._creds_file.path)
            else:
                log.info(
                    "database credentials from %s",
                    self._creds_file.path,
                    extra={"db_user": credentials.user},
                )
        self._current = self._make_lease(credentials)
        self._spawn(self._bootstrap())
        if self._creds_file is not None:
            self._spawn(self._watch())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        leases = [*self._retiring, *([self._current] if self._current else [])]
        for lease in leases:
            await lease.dispose()
        self._current = None

    async def migrate(self) -> bool:
        """Run the migrations now (the `taskapp migrate` command); True when any applied."""
        credentials = self._creds_file.read() if self._creds_file is not None else None
        engine = self._make_engine(credentials, pooled=False)
        try:
            async with engine.begin() as conn:
                return await conn.run_sync(migrate.upgrade)
        finally:
            await engine.dispose()

    # -- running work -------------------------------------------------------------------------

    async def run(self, work: Work[T], *, idempotent: bool = False) -> T:
        """Run `work` on a pooled connection (autocommit), retrying where that is safe."""
        if not self.ready or self._current is None:
            raise DatabaseUnavailable("the database is not ready yet")
        slots = self._slots
        if not slots.locked():
            # A free slot and nobody waiting: taken at once, no timer to arm and cancel.
            await slots.acquire()
        else:
            try:
                async with asyncio.timeout(self._settings.db_pool_timeout):
                    await slots.acquire()
            except TimeoutError:
                raise DatabaseUnavailable("no database connection free in time") from None
        try:
            return await self._run(work, idempotent)
        finally:
            self._slots.release()

    async def _run(self, work: Work[T], idempotent: bool) -> T:
        attempt = 0
        while True:
            lease = self._current
            if lease is None:
                raise DatabaseUnavailable("the database is shutting down")
            lease.enter()
            try:
                pool = lease.pool
                if pool is not None:
                    conn = await pool.acquire()
                    try:
                        result = await work(conn)
                    except TaskAppError:
                        pool.release(conn)
                        raise
                    except BaseException:
                        # Failed or cancelled mid-statement: never reuse it.
                        pool.release(conn, broken=True)
                        raise
                    pool.release(conn)
                    return result
                assert lease.engine is not None
                async with lease.engine.connect() as conn:
                    try:
                        return await work(conn)
                    except TaskAppError:
                        raise
                    except BaseException:
                        # Failed or cancelled mid-statement: the pool must not get it back.
                        await _invalidate(conn)
                        raise
            except TaskAppError:
                raise
            except Exception as exc:
                if not await self._should_retry(exc, lease, attempt, idempotent):
                    if is_connection_error(exc):
                        raise DatabaseUnavailable(describe(exc)) from exc
                    raise
            finally:
                lease.leave()
            attempt += 1

    async def _should_retry(
        self, exc: Exception, lease: _Lease, attempt: int, idempotent: bool
    ) -> bool:
        if attempt >= 2:
            return False
        if is_auth_error(exc):
            if await self.reload("auth", failed=lease):
                self._metrics.db_retries.labels("auth").inc()
                return True
            return False
        if attempt == 0 and is_connection_error(exc) and (idempotent or closed_before_sending(exc)):
            self._metrics.db_retries.labels("connection").inc()
            return True
        return False

    async def check(self) -> str | None:
        """None when the database is reachable and migrated; else a safe reason."""
        if not self.ready:
            return self.last_error
        try:
            # Not behind the FIFO queue: a busy pod is still a ready pod.
            revision = await asyncio.wait_for(self._run(_revision, True), timeout=3)
        except Exception as exc:
            return describe(exc) if not isinstance(exc, DatabaseUnavailable) else str(exc)
        if revision != migrate.head():
            return "database schema is not migrated"
        return None

    # -- credentials --------------------------------------------------------------------------

    async def reload(self, reason: str, *, failed: _Lease | None = None) -> bool:
        """Re-read the credentials file; True when the current engine is not `failed` anymore.

        `reason` is "file" (the watcher saw a change) or "auth" (a login was refused: read the
        file even if it looks unchanged, at most once a second).
        """
        async with self._lock:
            if failed is not None and self._current is not failed:
                return True
            if self._creds_file is None or self._current is None:
                return False
            if reason == "auth":
                now = time.monotonic()
                if now - self._last_forced_read < 1.0:
                    return False
                self._last_forced_read = now
            elif not self._creds_file.changed():
                return False
            try:
                credentials = self._creds_file.read()
            except (CredentialsError, OSError) as exc:
                self._metrics.credential_reloads.labels("rejected").inc()
                log.error("cannot read the credentials file: %s", exc)
                return False
            if credentials is None or credentials == self._current.credentials:
                self._metrics.credential_reloads.labels("unchanged").inc()
                return False
            return await self._switch(credentials, reason)

    async def _switch(self, credentials: Credentials, reason: str) -> bool:
        lease = self._make_lease(credentials)
        try:
            await lease.probe()
        except Exception as exc:
            if is_auth_error(exc):
                self._metrics.credential_reloads.labels("rejected").inc()
                log.warning(
                    "the database refused the new credentials; keeping the current ones",
                    extra={"db_user": credentials.user},
                )
                await lease.dispose()
                if self._creds_file is not None:
                    self._creds_file.forget()
                return False
            log.warning("cannot verify the new credentials (%s); switching anyway", describe(exc))
        assert self._current is not None
        old, self._current = self._current, lease
        self._metrics.credential_reloads.labels("applied").inc()
        log.info(
            "database credentials reloaded",
            extra={
                "db_user": credentials.user,
                "reason": reason,
                "previous_db_user": old.credentials.user if old.credentials else None,
            },
        )
        self._retiring.add(old)
        self._spawn(self._retire(old))
        return True

    async def _retire(self, lease: _Lease) -> None:
        """Dispose of an engine once its last request is done, closing the old role's sessions."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(lease.idle.wait(), self._settings.db_retire_timeout)
        if lease.active > 0:
            log.warning("closing the old pool with %d requests still running", lease.active)
        await lease.dispose()
        self._retiring.discard(lease)
        log.info("old database pool closed")

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._settings.credentials_poll_interval)
            try:
                await self.reload("file")
            except Exception:
                log.exception("credential reload failed")

    # -- start-up -----------------------------------------------------------------------------

    async def _bootstrap(self) -> None:
        delay = 0.25
        while True:
            try:
                await self._prepare_schema()
            except Exception as exc:
                self.last_error = describe(exc)
                if is_auth_error(exc):
                    await self.reload("auth")
                log.warning(
                    "database not ready (%s); retrying in %.1fs",
                    self.last_error,
                    delay,
                    extra={"error": type(exc).__name__},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self.ready = True
            self.last_error = ""
            log.info("database ready")
            return

    async def _prepare_schema(self) -> None:
        assert self._current is not None
        engine = self._make_engine(self._current.credentials, pooled=False)
        try:
            async with engine.begin() as conn:
                if self._settings.migrate_on_start:
                    if await conn.run_sync(migrate.upgrade):
                        log.info("database migrated to %s", migrate.head())
                elif await conn.run_sync(migrate.current) != migrate.head():
                    raise SchemaNotMigrated("run `taskapp migrate`")
        finally:
            await engine.dispose()

    def _make_lease(self, credentials: Credentials | None) -> _Lease:
        if self._is_postgres:
            return _Lease(credentials, pool=make_pg_pool(self._url, credentials, self._settings))
        return _Lease(credentials, engine=self._make_engine(credentials))

    def _make_engine(self, credentials: Credentials | None, *, pooled: bool = True) -> AsyncEngine:
        return make_engine(self._url, credentials, self._settings, pooled=pooled)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def pool_stats(self) -> dict[str, int]:
        alive = len(self._retiring) + (self._current is not None)
        stats = {"ready": int(self.ready), "engines": alive}
        if self._current is not None and self._current.pool is not None:
            stats |= self._current.pool.stats()
        elif self._current is not None and self._current.engine is not None:
            pool: Any = self._current.engine.sync_engine.pool
            for key, name in (
                ("checked_out", "checkedout"),
                ("idle", "checkedin"),
                ("overflow", "overflow"),
            ):
                method = getattr(pool, name, None)
                if method is not None:
                    stats[key] = max(int(method()), 0)
        return stats

    @property
    def user(self) -> str | None:
        lease = self._current
        return lease.credentials.user if lease and lease.credentials else None


async def _invalidate(conn: AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await conn.invalidate()


_REVISION = "SELECT version_num FROM alembic_version"


async def _revision(conn: Conn) -> str | None:
    if isinstance(conn, asyncpg.Connection):
        value = await conn.fetchval(_REVISION)
    else:
        value = (await conn.execute(text(_REVISION))).scalar()
    return None if value is None else str(value)
