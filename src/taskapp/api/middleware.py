"""One pure-ASGI middleware for what every request needs.

Request id (kept from a sane `X-Request-Id`, else new), the body rules for the API (413 over
`TASKAPP_MAX_BODY_BYTES`, 415 unless JSON), security headers, the access log, the metrics, and a
last-resort 500 problem. Pure ASGI, not `BaseHTTPMiddleware`: that one adds a task and a
memory stream to every request.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskapp import logs
from taskapp.api.fast_path import FastPath
from taskapp.api.problems import MEDIA_TYPE, problem_body
from taskapp.logs import request_id
from taskapp.metrics import Metrics

errors = logging.getLogger("taskapp.api")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
_PAGE = [
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
]
_API = [(b"cache-control", b"no-store")]


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class _RequestIds:
    """32 hex digits: a random prefix per process and a counter. Unique, as uuid4 would be,
    without a getrandom system call per request (ids are for finding log lines, not secrets)."""

    def __init__(self) -> None:
        self.reseed()
        os.register_at_fork(after_in_child=self.reseed)  # workers must not share a prefix

    def reseed(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count()

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


_new_request_id = _RequestIds()


class _Reject(Exception):
    def __init__(self, status: int, detail: str) -> None:
        self.status = status
        self.detail = detail


class RequestMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        max_body: int,
        access_log: bool = True,
        fast: FastPath | None = None,
    ) -> None:
        self.app = app
        self.fast = fast
        self.metrics = metrics
        self.max_body = max_body
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _REQUEST_ID.match(incoming) else _new_request_id()
        token = request_id.set(rid)
        path: str = scope["path"]
        is_api = path.startswith("/api/")
        extra = [(b"x-request-id", rid.encode()), *_COMMON]
        if is_api:
            extra += _API
        elif not path.startswith(("/docs", "/redoc")):
            extra += _PAGE
        state: dict[str, Any] = {"status": 500, "started": False}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        try:
            body = b""
            if is_api and scope["method"] in _BODY_METHODS:
                receive, body = await self._checked_body(headers, receive)
            response = None
            if self.fast is not None and is_api:
                response = await self.fast.response(scope, body)
            if response is not None:
                await response(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        except _Reject as reject:
            await self._send_problem(send_with_headers, reject.status, reject.detail)
        except Exception:
            errors.exception("unhandled error", extra={"path": path})
            if not state["started"]:
                await self._send_problem(
                    send_with_headers, 500, "An unexpected error occurred; quote the request_id."
                )
        finally:
            self._record(scope, state["status"], time.perf_counter() - start)
            request_id.reset(token)

    async def _checked_body(
        self, headers: dict[bytes, bytes], receive: Receive
    ) -> tuple[Receive, bytes]:
        """Read the whole body (up to the limit) before the app sees it, or reject it."""
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            raise _Reject(413, f"The body is over the limit of {self.max_body} bytes.")
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return receive, b""  # the client left; let the app see the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _Reject(413, f"The body is over the limit of {self.max_body} bytes.")
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if body and not _is_json(content_type):
            raise _Reject(415, "Send the body as application/json.")
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay, body

    @staticmethod
    async def _send_problem(send: Send, status: int, detail: str) -> None:
        body = problem_body(status, detail)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None)
        label = (template or "/static") if route is not None else "unmatched"
        method: str = scope["method"]
        self.metrics.observe(label, method, status, seconds)
        if self.access_log:
            logs.access(
                f"{method} {scope['path']} {status}",
                {"status": status, "duration_ms": round(seconds * 1000, 2)},
            )
