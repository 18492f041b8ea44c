"""/api/tasks: list (cursor pages), create, read, update, delete, scoped to the current user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Query
from pydantic import ValidationError
from starlette.responses import Response

from taskapp.api.deps import CurrentCaller
from taskapp.api.problems import MEDIA_TYPE
from taskapp.api.schemas import (
    CURSOR_PATTERN,
    TaskCreate,
    TaskPublic,
    TaskUpdate,
    decode_cursor,
    encode_cursor,
    page_json,
    task_json,
)
from taskapp.db import crud

router = APIRouter(prefix="/api/tasks", tags=["tasks"])

_BIGINT = 2**63 - 1
_PROBLEM: dict[str, Any] = {"content": {MEDIA_TYPE: {}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, **_PROBLEM}
    for status, text in (
        (400, "Malformed JSON"),
        (401, "Not authenticated"),
        (413, "Body over TASKAPP_MAX_BODY_BYTES"),
        (415, "Body is not application/json"),
        (422, "Validation failed; `errors` names each field"),
        (503, "Database unavailable"),
    )
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such task", **_PROBLEM}}
TaskId = Annotated[int, "the task id"]


def _json(body: bytes, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status_code, headers=headers, media_type="application/json")


async def list_tasks(
    caller: CurrentCaller,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
    cursor: Annotated[
        str | None,
        Query(pattern=CURSOR_PATTERN, description="From the previous page's Link header."),
    ] = None,
    completed: Annotated[bool | None, Query(description="Only (un)completed tasks.")] = None,
) -> Response:
    """Tasks, newest first. A `Link: <...>; rel="next"` header announces the next page."""
    before_id = None if cursor is None else decode_cursor(cursor)
    work = partial(
        crud.list_tasks,
        owner=caller.user,
        limit=limit + 1,
        before_id=before_id,
        completed=completed,
    )
    page = await caller.db.run(work, idempotent=True)
    headers = None
    if len(page.ids) > limit:
        query = {"limit": limit, "cursor": encode_cursor(page.ids[limit - 1])}
        if completed is not None:
            query["completed"] = "true" if completed else "false"
        headers = {"Link": f'</api/tasks?{urlencode(query)}>; rel="next"'}
    return _json(page_json(page, limit), headers=headers)


def plain_list_query(query: bytes, body: bytes) -> dict[str, Any] | None:
    """`list_tasks`' arguments (but the caller) for a plain valid query, else None."""
    arguments: dict[str, Any] = {}
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name in arguments:
            return None
        if name == "limit" and value.isascii() and value.isdigit() and value[0] != "0":
            if len(value) > 3 or int(value) > 500:
                return None
            arguments["limit"] = int(value)
        elif name == "completed" and value in ("true", "false"):
            arguments["completed"] = value == "true"
        elif name == "cursor" and 0 < len(value) < 20 and value.isascii() and value.isdigit():
            arguments["cursor"] = value
        else:
            return None
    return arguments


router.add_api_route(
    "", list_tasks, methods=["GET"], response_model=list[TaskPublic], responses=_ERRORS
)


async def create_task(body: TaskCreate, caller: CurrentCaller) -> Response:
    """Create a task; `Location` names it."""
    row = await caller.db.run(partial(crud.create_task, owner=caller.user, title=body.title))
    return _json(task_json(row), 201, {"Location": f"/api/tasks/{row[0]}"})


def plain_new_task(query: bytes, body: bytes) -> dict[str, Any] | None:
    """`create_task`'s arguments (but the caller) for a valid body, else None."""
    try:
        return {"body": TaskCreate.model_validate_json(body)}
    except ValidationError:
        return None


router.add_api_route(
    "",
    create_task,
    methods=["POST"],
    status_code=201,
    response_model=TaskPublic,
    responses=_ERRORS,
)
# The busiest requests, answered by `api.fast_path` when they take this plain shape.
Endpoint = Callable[..., Awaitable[Response]]
Parse = Callable[[bytes, bytes], dict[str, Any] | None]
PLAIN: dict[str, tuple[Endpoint, Parse]] = {
    "GET": (list_tasks, plain_list_query),
    "POST": (create_task, plain_new_task),
}


@router.get("/{id}", response_model=TaskPublic, responses=_ERRORS | _NOT_FOUND)
async def read_task(id: TaskId, caller: CurrentCaller) -> Response:
    work = partial(crud.get_task, owner=caller.user, task_id=_in_range(id))
    row = await caller.db.run(work, idempotent=True)
    return _json(task_json(row))


@router.patch("/{id}", response_model=TaskPublic, responses=_ERRORS | _NOT_FOUND)
async def update_task(id: TaskId, body: TaskUpdate, caller: CurrentCaller) -> Response:
    """Change the title and/or completed; fields left out stay as they are."""
    work = partial(
        crud.update_task,
        owner=caller.user,
        task_id=_in_range(id),
        title=body.title,
        completed=body.completed,
    )
    row = await caller.db.run(work, idempotent=True)
    return _json(task_json(row))


@router.delete("/{id}", status_code=204, response_class=Response, responses=_ERRORS | _NOT_FOUND)
async def delete_task(id: TaskId, caller: CurrentCaller) -> Response:
    await caller.db.run(partial(crud.delete_task, owner=caller.user, task_id=_in_range(id)))
    return Response(status_code=204)


def _in_range(task_id: int) -> int:
    """Ids outside BIGINT cannot exist; 0 keeps the query valid and finds nothing."""
    return task_id if -_BIGINT <= task_id <= _BIGINT else 0
