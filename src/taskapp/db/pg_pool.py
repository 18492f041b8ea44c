"""A small pool of asyncpg connections for one set of PostgreSQL credentials.

Why not SQLAlchemy's pool or asyncpg's: requests run one autocommit statement each, so a pool
needs no reset on return (asyncpg's runs a reset query, a round trip per request) and no
greenlet hand-offs (SQLAlchemy's async pool pays several per request). Fairness and the limit
on connections in use come from the FIFO queue in `Database`; this pool only keeps idle
connections, opens one when none is idle, and closes what it should not keep:

* a connection the server closed is replaced at acquire, with no round trip;
* a connection that failed or was cancelled mid-statement is terminated, never reused;
* connections older than `recycle` seconds are closed instead of reused;
* more than `keep` open connections: the surplus is closed when returned;
* after `close()`, idle connections are closed at once and busy ones when they are returned
  (so a retired role keeps no session).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import asyncpg

Connect = Callable[[], Awaitable[asyncpg.Connection]]


class PgPool:
    def __init__(self, connect: Connect, *, keep: int, recycle: float | None = None) -> None:
        self._connect = connect
        self._keep = keep
        self._recycle = recycle
        self._idle: list[asyncpg.Connection] = []
        self._born: dict[asyncpg.Connection, float] = {}
        self._closed = False

    async def acquire(self) -> asyncpg.Connection:
        idle = self._idle
        while idle:
            conn = idle.pop()
            if conn.is_closed() or self._expired(conn):
                self._drop(conn)
                continue
            return conn
        if self._closed:
            raise asyncpg.exceptions.InterfaceError("the pool is closed")
        conn = await self._connect()
        self._born[conn] = time.monotonic()
        return conn

    def release(self, conn: asyncpg.Connection, *, broken: bool = False) -> None:
        """Give a connection back; `broken` when a statement on it failed or was cancelled."""
        if broken or self._closed or conn.is_closed() or len(self._born) > self._keep:
            self._drop(conn, graceful=not broken)
        else:
            self._idle.append(conn)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(self._close(conn) for conn in idle))

    def stats(self) -> dict[str, int]:
        opened = len(self._born)
        return {
            "checked_out": opened - len(self._idle),
            "idle": len(self._idle),
            "overflow": max(opened - self._keep, 0),
        }

    def _expired(self, conn: asyncpg.Connection) -> bool:
        recycle = self._recycle
        return recycle is not None and time.monotonic() - self._born[conn] > recycle

    def _drop(self, conn: asyncpg.Connection, *, graceful: bool = True) -> None:
        self._born.pop(conn, None)
        if graceful and not conn.is_closed():
            # A polite goodbye ends the server session at once; do not make the caller wait.
            task = asyncio.ensure_future(self._close(conn))
            _closing.add(task)
            task.add_done_callback(_closing.discard)
        else:
            conn.terminate()

    async def _close(self, conn: asyncpg.Connection) -> None:
        self._born.pop(conn, None)
        try:
            await conn.close(timeout=2)
        except Exception:
            conn.terminate()


# Closing tasks in flight, referenced so they are not garbage collected half-way.
_closing: set[asyncio.Future[None]] = set()
