"""RFC 9457 problem details: every error TaskApp answers, mapped in this one module.

A problem never carries SQL, hosts, users of the database or stack traces; the request id in
the body and in the `X-Request-Id` header finds the full story in the logs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from taskapp.errors import DatabaseUnavailable, NotFound
from taskapp.logs import request_id

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("taskapp.api")


def problem_body(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    errors: Sequence[Mapping[str, str]] | None = None,
) -> bytes:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = list(errors)
    rid = request_id.get()
    if rid:
        body["request_id"] = rid
    return json.dumps(body).encode()


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: Sequence[Mapping[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        problem_body(status, detail, errors=errors),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def _field(loc: Sequence[int | str]) -> str:
    where, *rest = loc or ("body",)
    names = [str(part) for part in rest]
    return ".".join(names) if names else str(where)


def _message(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return problem(400, "The request body is not valid JSON.")
    fields = [
        {
            "field": _field(error.get("loc", ())),
            "in": str(error.get("loc", ("body",))[0]),
            "message": _message(error),
        }
        for error in errors
    ]
    names = ", ".join(sorted({f["field"] for f in fields}))
    return problem(422, f"Invalid value for: {names}.", errors=fields)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == HTTPStatus(404).phrase:
        detail = "There is nothing at this address."
    if detail == HTTPStatus(exc.status_code).phrase:
        detail = None
    return problem(exc.status_code, detail, headers=exc.headers)


async def _not_found(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotFound)
    return problem(404, f"There is no task {exc.task_id}.")


async def _unavailable(request: Request, exc: Exception) -> Response:
    log.warning("database unavailable: %s", exc)
    return problem(
        503, "The database is unavailable; try again shortly.", headers={"Retry-After": "1"}
    )


def install(app: FastAPI) -> None:
    """Map every error class to its status, once."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(DatabaseUnavailable, _unavailable)


def invalid_query(field: str, message: str) -> RequestValidationError:
    """A validation error for a query parameter, answered like pydantic's own (422)."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": message, "input": None}]
    )
