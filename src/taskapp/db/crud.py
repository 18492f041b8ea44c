"""Every query TaskApp runs. Keyword-only async functions over a `Conn`: an asyncpg connection
on PostgreSQL, SQLAlchemy's `AsyncConnection` on SQLite.

Each function runs one statement, scoped by `owner`: a task of another owner is, to its caller,
a task that does not exist. Statements are SQLAlchemy Core with named bind parameters, built
once at import. On PostgreSQL each is compiled once to asyncpg's SQL and run on the asyncpg
connection, which skips SQLAlchemy's per-execution work (about half the CPU of a list request
when profiled); on SQLite they run through SQLAlchemy as usual. Rows are tuples in
`COLUMNS` order either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from itertools import pairwise
from typing import Any, TypeAlias

import asyncpg
from sqlalchemy import (
    ColumnElement,
    Delete,
    Insert,
    Select,
    Update,
    bindparam,
    delete,
    false,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from taskapp.db.models import tasks
from taskapp.errors import NotFound

COLUMNS = ("id", "title", "completed", "created_at", "updated_at")
Rows = Sequence[Sequence[Any]]
Statement = Select[Any] | Insert | Update | Delete
Conn: TypeAlias = AsyncConnection | asyncpg.Connection

_OWNED = tasks.c.owner == bindparam("user")
_THIS = tasks.c.id == bindparam("task_id")


class _Statements:
    """Every statement TaskApp runs, each returning `returned`: on SQLite the task's columns in
    `COLUMNS` order; on PostgreSQL (id, the task as JSON text), which a trigger keeps in `doc`
    (migration 0002), so no request formats times or encodes JSON."""

    def __init__(self, returned: tuple[ColumnElement[Any], ...], *, encoded: bool) -> None:
        self.encoded = encoded
        self.list_rows = {
            (completed, before): self._list(returned, completed, before)
            for completed in (False, True)
            for before in (False, True)
        }
        self.list = {
            key: _aggregated(query) if encoded else query for key, query in self.list_rows.items()
        }
        self.update = {
            (title, completed): self._update(returned, title, completed)
            for title in (False, True)
            for completed in (False, True)
        }
        self.get: Statement = select(*returned).where(_THIS, _OWNED)
        self.create: Statement = (
            insert(tasks)
            .values(
                owner=bindparam("user"),
                title=bindparam("new_title"),
                completed=false(),
                created_at=bindparam("now"),
                updated_at=bindparam("now"),
            )
            .returning(*returned)
        )
        self.delete: Statement = delete(tasks).where(_THIS, _OWNED).returning(tasks.c.id)

    @staticmethod
    def _list(
        returned: tuple[ColumnElement[Any], ...], completed: bool, before: bool
    ) -> Select[Any]:
        query = select(*returned).where(_OWNED)
        if completed:
            query = query.where(tasks.c.completed == bindparam("completed"))
        if before:
            query = query.where(tasks.c.id < bindparam("before_id"))
        return query.order_by(tasks.c.id.desc()).limit(bindparam("limit"))

    @staticmethod
    def _update(
        returned: tuple[ColumnElement[Any], ...], title: bool, completed: bool
    ) -> Statement:
        values: dict[str, Any] = {"updated_at": bindparam("now")}
        if title:
            values["title"] = bindparam("new_title")
        if completed:
            values["completed"] = bindparam("new_completed")
        return update(tasks).where(_THIS, _OWNED).values(values).returning(*returned)


def _aggregated(query: Select[Any]) -> Select[Any]:
    """One row for a page: its ids, and the JSON of its tasks joined by commas.

    One row of two values instead of 101 rows costs the driver and Python far less. Without
    ORDER BY inside the aggregates (PostgreSQL 15 would sort again), they take the subquery's
    order, as PostgreSQL's documentation says they usually do; `list_tasks` checks the ids and
    falls back to rows if they ever are not in order.
    """
    page = query.subquery("page")
    return select(func.array_agg(page.c.id), func.string_agg(page.c.doc, literal_column("','")))


PORTABLE = _Statements(tuple(tasks.c[name] for name in COLUMNS), encoded=False)
POSTGRES = _Statements((tasks.c.id, tasks.c.doc), encoded=True)


def _statements(conn: Conn) -> _Statements:
    return PORTABLE if isinstance(conn, AsyncConnection) else POSTGRES


@cache
def for_asyncpg(statement: Statement) -> tuple[str, tuple[str, ...]]:
    compiled = statement.compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]
    return compiled.string, tuple(compiled.positiontup or ())


async def _rows(conn: Conn, statement: Statement, params: Mapping[str, Any]) -> Rows:
    if isinstance(conn, AsyncConnection):
        return (await conn.execute(statement, params)).all()
    sql, names = for_asyncpg(statement)
    rows: Rows = await conn.fetch(sql, *[params[n] for n in names])
    return rows


@dataclass(frozen=True, slots=True)
class Page:
    """Tasks in order: `ids`, and either `encoded` (the JSON of the tasks, written by the
    database, joined by commas; when `limit` came back, without the last) or `rows` (each task in
    `COLUMNS` order)."""

    ids: list[int]
    encoded: str | None = None
    rows: Rows = ()


async def list_tasks(
    conn: Conn,
    *,
    owner: str,
    limit: int,
    before_id: int | None = None,
    completed: bool | None = None,
) -> Page:
    """Up to `limit` tasks of `owner`, newest first, with ids below `before_id`."""
    statements = _statements(conn)
    key = (completed is not None, before_id is not None)
    params = {"user": owner, "limit": limit, "before_id": before_id, "completed": completed}
    rows = await _rows(conn, statements.list[key], params)
    if not statements.encoded:
        return Page([row[0] for row in rows], rows=rows)
    ids: list[int] = rows[0][0] or []
    text: str = rows[0][1] or ""
    if any(newer <= older for newer, older in pairwise(ids)):
        rows = await _rows(conn, statements.list_rows[key], params)
        ids, text = [row[0] for row in rows], ",".join(row[1] for row in rows)
    if len(ids) == limit:  # the row past the page only says a next page exists: drop its JSON
        # Every task's JSON starts with {"id": and inside a JSON string " is escaped, so this
        # is where the last task begins.
        text = text[: text.rindex(',{"id":')] if limit > 1 else ""
    return Page(ids, encoded=text)


async def get_task(conn: Conn, *, owner: str, task_id: int) -> Sequence[Any]:
    rows = await _rows(conn, _statements(conn).get, {"user": owner, "task_id": task_id})
    if not rows:
        raise NotFound(task_id)
    return rows[0]


async def create_task(conn: Conn, *, owner: str, title: str) -> Sequence[Any]:
    params = {"user": owner, "new_title": title, "now": datetime.now(UTC)}
    return (await _rows(conn, _statements(conn).create, params))[0]


async def update_task(
    conn: Conn,
    *,
    owner: str,
    task_id: int,
    title: str | None = None,
    completed: bool | None = None,
) -> Sequence[Any]:
    """Set the given fields; fields left as None stay unchanged."""
    statement = _statements(conn).update[title is not None, completed is not None]
    params = {
        "user": owner,
        "task_id": task_id,
        "now": datetime.now(UTC),
        "new_title": title,
        "new_completed": completed,
    }
    rows = await _rows(conn, statement, params)
    if not rows:
        raise NotFound(task_id)
    return rows[0]


async def delete_task(conn: Conn, *, owner: str, task_id: int) -> None:
    if not await _rows(conn, _statements(conn).delete, {"user": owner, "task_id": task_id}):
        raise NotFound(task_id)
