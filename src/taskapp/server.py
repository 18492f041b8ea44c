"""How `taskapp serve` runs the app: uvicorn (uvloop, httptools) on a socket bound first.

One change to uvicorn's HTTP protocol: it writes a response's head and its body with two
`write` calls, so two system calls and two TCP segments per response; on loopback (and in a
pod behind a proxy) each one runs the kernel's network path for both ends. `OneWriteProtocol`
holds the head back until the body follows (or until the event loop's next turn, for a
response without a body) and writes both at once, as Node's http module does. Bytes on the wire
are unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from taskapp import logs
from taskapp.errors import ConfigError
from taskapp.settings import Settings


class _HeldHead:
    """A response's transport that sends its first write together with the next one."""

    __slots__ = ("_first", "_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._first = True
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._first:  # the head: wait for the body, at most until the loop's next turn
            self._first = False
            self._held = data
            self._loop.call_soon(self.flush)
            return
        if self._held is not None:
            data, self._held = self._held + data, None
        self._transport.write(data)

    def flush(self) -> None:
        if self._held is not None:
            data, self._held = self._held, None
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteProtocol(HttpToolsProtocol):
    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.transport is self.transport:
            cycle.transport = _HeldHead(self.transport, self.loop)  # type: ignore[assignment]


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the app starts, so a taken port is one clear line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} on {host} is already in use (another taskapp, or another "
                f"program); stop it, or pick another port: TASKAPP_PORT={port + 1} make run"
            ) from None
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _run(app: Any, sock: socket.socket, settings: Settings) -> None:
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=OneWriteProtocol,
        loop="uvloop",
        log_config=None,
        access_log=False,
        server_header=False,
        # Links and Locations are relative and client addresses are not used: no need to trust
        # X-Forwarded-* (one ASGI layer less per request).
        proxy_headers=False,
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )
    uvicorn.Server(config).run(sockets=[sock])


def _workers(app: Any, sock: socket.socket, settings: Settings) -> None:
    """`settings.workers` forked processes on one socket; SIGTERM and SIGINT reach them all.

    Each has its own pools, credential watcher and metrics (a scrape sees one process), so the
    default is one process per pod, scaled by pods; more is for a machine with idle cores.
    """
    children: list[int] = []
    for _ in range(settings.workers):
        pid = os.fork()
        if pid == 0:  # the child: fresh log flusher thread (threads do not survive fork)
            logs.configure(settings.log_level)
            code = 0
            try:
                _run(app, sock, settings)
            except BaseException:
                code = 1
            os._exit(code)
        children.append(pid)
    sock.close()

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    stopped = (0, -signal.SIGTERM, -signal.SIGINT)  # uvicorn ends by re-raising the signal
    codes = [os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) for child in children]
    if any(code not in stopped for code in codes):
        raise SystemExit(1)


def serve(settings: Settings) -> None:
    from taskapp.main import create_app

    app = create_app(settings)  # builds, starts nothing; refuses an unsafe configuration
    sock = listen(settings.host, settings.port)
    if settings.workers == 1:
        _run(app, sock, settings)
    else:
        _workers(app, sock, settings)
