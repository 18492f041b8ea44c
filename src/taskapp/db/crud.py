"""Every query TaskApp runs. Keyword-only async functions over an `AsyncConnection`.

Each function is one short statement, scoped by `owner`: a task of another owner is, to its
caller, a task that does not exist. Core statements (not ORM sessions) keep the hot paths lean.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from taskapp.db.models import tasks
from taskapp.errors import NotFound

TaskRow = Row[Any, Any, Any, Any, Any]

_COLUMNS = (tasks.c.id, tasks.c.title, tasks.c.completed, tasks.c.created_at, tasks.c.updated_at)


async def list_tasks(
    conn: AsyncConnection,
    *,
    owner: str,
    limit: int,
    before_id: int | None = None,
    completed: bool | None = None,
) -> Sequence[TaskRow]:
    """Up to `limit` tasks of `owner`, newest first, with ids below `before_id`."""
    query = select(*_COLUMNS).where(tasks.c.owner == owner)
    if completed is not None:
        query = query.where(tasks.c.completed == completed)
    if before_id is not None:
        query = query.where(tasks.c.id < before_id)
    result = await conn.execute(query.order_by(tasks.c.id.desc()).limit(limit))
    return result.all()


async def get_task(conn: AsyncConnection, *, owner: str, task_id: int) -> TaskRow:
    query = select(*_COLUMNS).where(tasks.c.id == task_id, tasks.c.owner == owner)
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound(task_id)
    return row


async def create_task(conn: AsyncConnection, *, owner: str, title: str) -> TaskRow:
    now = datetime.now(UTC)
    statement = (
        insert(tasks)
        .values(owner=owner, title=title, completed=False, created_at=now, updated_at=now)
        .returning(*_COLUMNS)
    )
    return (await conn.execute(statement)).one()


async def update_task(
    conn: AsyncConnection,
    *,
    owner: str,
    task_id: int,
    title: str | None = None,
    completed: bool | None = None,
) -> TaskRow:
    """Set the given fields; fields left as None stay unchanged."""
    changes: dict[str, object] = {"updated_at": datetime.now(UTC)}
    if title is not None:
        changes["title"] = title
    if completed is not None:
        changes["completed"] = completed
    statement = (
        update(tasks)
        .where(tasks.c.id == task_id, tasks.c.owner == owner)
        .values(**changes)
        .returning(*_COLUMNS)
    )
    row = (await conn.execute(statement)).first()
    if row is None:
        raise NotFound(task_id)
    return row


async def delete_task(conn: AsyncConnection, *, owner: str, task_id: int) -> None:
    statement = delete(tasks).where(tasks.c.id == task_id, tasks.c.owner == owner)
    result = await conn.execute(statement)
    if result.rowcount == 0:
        raise NotFound(task_id)
