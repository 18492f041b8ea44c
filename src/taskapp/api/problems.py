"""RFC 9457 problem details: every error TaskApp answers, mapped in this one module.

A problem never carries SQL, hosts, users of the database or stack traces; the request id in
the body and in the `X-Request-Id` header finds the full story in the logs.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import compile_path

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


# Pydantic's messages are written for programmers ("String should have at least 1
# character"); these say the same to a person, as the end of a sentence that starts with the field.
_MESSAGES: dict[str, str] = {
    "missing": "is required",
    "extra_forbidden": "is not a field of a task",
    "string_type": "must be text",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "string_too_short": "cannot be empty",
    "string_too_long": "must be at most {max_length} characters long",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
}
_PATTERN_MESSAGES = {"cursor": "is not one this API gave out; follow the Link header"}


def _message(error: Mapping[str, Any], field: str) -> str:
    kind = str(error.get("type", ""))
    if kind == "string_pattern_mismatch" and field in _PATTERN_MESSAGES:
        return _PATTERN_MESSAGES[field]
    if kind in _MESSAGES:
        return _MESSAGES[kind].format(**error.get("ctx", {}))
    message = str(error.get("msg", "is not valid"))
    return message.removeprefix("Value error, ")


def _sentence(field: Mapping[str, str]) -> str:
    name = "The body" if field["field"] == "body" else field["field"].capitalize()
    return f"{name} {field['message']}."


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return problem(400, "The request body is not valid JSON.")
    fields = []
    for error in errors:
        loc = error.get("loc", ())
        name = _field(loc)
        fields.append(
            {"field": name, "in": str(loc[0] if loc else "body"), "message": _message(error, name)}
        )
    # One sentence per problem, in the order given: the detail reads as a person would say it.
    detail = " ".join(dict.fromkeys(_sentence(field) for field in fields))
    return problem(422, detail, errors=fields)


def _allowed(request: Request) -> str | None:
    """Every documented method at this path. Starlette's 405 names only the first route's
    methods, and a path such as /api/tasks/{id} has one route per method."""
    app: FastAPI = request.app
    table: list[tuple[re.Pattern[str], str]] | None = getattr(app.state, "allow_table", None)
    if table is None:
        table = []
        for template, operations in app.openapi()["paths"].items():
            methods = {method.upper() for method in operations}
            if "GET" in methods:
                methods.add("HEAD")
            table.append((compile_path(template)[0], ", ".join(sorted(methods))))
        app.state.allow_table = table
    path = request.scope["path"]
    return next((allow for pattern, allow in table if pattern.match(path)), None)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == HTTPStatus(404).phrase:
        detail = "There is nothing at this address."
    if detail == HTTPStatus(exc.status_code).phrase:
        detail = None
    headers = dict(exc.headers or {})
    allow = _allowed(request) if exc.status_code == 405 else None
    if allow is not None:
        headers["Allow"] = allow
        detail = f"This address answers {allow}."
    return problem(exc.status_code, detail, headers=headers)


async def _not_found(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotFound)
    return problem(404, f"There is no task {exc.task_id}.")


def unavailable(exc: Exception) -> Response:
    log.warning("database unavailable: %s", exc)
    return problem(
        503, "The database is unavailable; try again shortly.", headers={"Retry-After": "1"}
    )


async def _unavailable(request: Request, exc: Exception) -> Response:
    return unavailable(exc)


def install(app: FastAPI) -> None:
    """Map every error class to its status, once."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(DatabaseUnavailable, _unavailable)
