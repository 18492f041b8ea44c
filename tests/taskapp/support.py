"""Helpers for the TaskApp tests: an in-process app client and a `taskapp serve` subprocess."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx

from taskapp.main import create_app
from taskapp.settings import Settings
from tests.support.postgres import free_port

BIN = Path(sys.executable).parent


@contextlib.asynccontextmanager
async def app_client(
    settings: Settings, *, wait_ready: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """The app in this process (lifespan included), behind an httpx client."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://taskapp") as client:
            if wait_ready:
                await until_ready(client)
            yield client


async def until_ready(client: httpx.AsyncClient, within: float = 30.0) -> None:
    with anyio.fail_after(within):
        while True:
            if (await client.get("/readyz")).status_code == 200:
                return
            await anyio.sleep(0.05)


def sqlite_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}",
        "access_log": False,
        "serve_frontend": True,
    }
    values.update(overrides)
    return Settings(**values)


class Server:
    """`taskapp serve` in a subprocess on a free loopback port; stop() always cleans up."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"taskapp-{self.port}.log"
        clean = {k: v for k, v in os.environ.items() if not k.startswith("TASKAPP_")}
        clean.pop("DATABASE_URL", None)
        self.env = {
            **clean,
            "TASKAPP_DATABASE_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
            "TASKAPP_ACCESS_LOG": "false",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(BIN / "taskapp"), "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"taskapp exited early:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"taskapp did not start:\n{self.log()}")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.05)
        raise AssertionError(f"taskapp never became ready:\n{self.log()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextlib.contextmanager
def running_server(tmp_path: Path, env: dict[str, str]) -> Iterator[Server]:
    server = Server(tmp_path, env)
    try:
        yield server.start()
    finally:
        server.stop()
