"""The plain list and create requests, answered without FastAPI's and Starlette's layers.

Profiled in process (a create on PostgreSQL), routing, the exception and exit-stack middleware,
the request/response wrapper and parameter solving were about a third of a request's CPU.
`FastPath` answers the everyday shape of the two busiest requests itself: `GET /api/tasks` with
a plain valid query and `POST /api/tasks` with a valid body, from a caller who authenticates. It
calls the same endpoint functions. Anything else (every error, 401 included) gets None and goes
through FastAPI as before, so no answer changes (tests/taskapp/api/test_fast_path.py compares
them query by query) and the OpenAPI document still comes from the endpoints' signatures.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Scope

from taskapp.api.deps import Caller
from taskapp.api.problems import unavailable
from taskapp.api.routes import tasks
from taskapp.auth import Authenticator, Unauthenticated
from taskapp.errors import DatabaseUnavailable

PATH = "/api/tasks"


class FastPath:
    def __init__(self, app: FastAPI) -> None:
        self.auth: Authenticator = app.state.auth
        self.db = app.state.db
        # The route's own object, so metrics and logs label the request as FastAPI would.
        self.route = next(
            route
            for route in tasks.router.routes
            if isinstance(route, APIRoute) and route.path == PATH
        )

    async def response(self, scope: Scope, body: bytes) -> Response | None:
        """The answer to a plain list or create, else None (FastAPI answers it)."""
        if scope["path"] != PATH or scope["method"] not in tasks.PLAIN:
            return None
        endpoint, parse = tasks.PLAIN[scope["method"]]
        arguments = parse(scope["query_string"], body)
        if arguments is None:
            return None
        try:
            user = self.auth.identify(Headers(scope=scope))
        except Unauthenticated:
            return None
        scope["route"] = self.route
        try:
            response: Response = await endpoint(caller=Caller(user, self.db), **arguments)
        except DatabaseUnavailable as exc:
            return unavailable(exc)
        return response
