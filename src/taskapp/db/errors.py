"""Telling database failures apart: a refused login, an unreachable or broken connection, or
something else (a bug). The answers decide between re-reading credentials, retrying, 503 and 500.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc as sa_exc

from taskapp.errors import TaskAppError

_AUTH_SQLSTATES = frozenset({"28P01", "28000"})
# connection exception, insufficient resources, operator intervention (shutdown, starting up)
_UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "53", "57"})


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 8:
        seen.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return seen


def _sqlstate(exc: BaseException) -> str | None:
    for link in _chain(exc):
        state = getattr(link, "sqlstate", None)
        if isinstance(state, str):
            return state
    return None


def is_auth_error(exc: BaseException) -> bool:
    return _sqlstate(exc) in _AUTH_SQLSTATES


def is_connection_error(exc: BaseException) -> bool:
    """The database could not be reached or the connection broke (as opposed to a bad query)."""
    state = _sqlstate(exc)
    if state is not None and state[:2] in _UNAVAILABLE_SQLSTATE_CLASSES | {"28"}:
        return True
    for link in _chain(exc):
        if isinstance(link, sa_exc.DBAPIError) and link.connection_invalidated:
            return True
        if isinstance(
            link,
            OSError
            | TimeoutError
            | sa_exc.TimeoutError
            | sa_exc.DisconnectionError
            | asyncpg.exceptions.InterfaceError
            | asyncpg.exceptions.InternalClientError
            | asyncpg.exceptions.PostgresConnectionError,
        ):
            return True
    return False


def closed_before_sending(exc: BaseException) -> bool:
    """True when the statement never left the process (the connection was already closed)."""
    return any(
        isinstance(link, asyncpg.exceptions.InterfaceError)
        and "connection is closed" in str(link)
        and not isinstance(link, asyncpg.exceptions.ConnectionDoesNotExistError)
        for link in _chain(exc)
    )


def describe(exc: BaseException) -> str:
    """A summary safe to show to anyone: no hosts, users or SQL."""
    if is_auth_error(exc):
        return "database login failed"
    if is_connection_error(exc):
        return "database unreachable"
    if isinstance(exc, SchemaNotMigrated):
        return "database schema is not migrated"
    return "database error"


class SchemaNotMigrated(TaskAppError):
    pass
