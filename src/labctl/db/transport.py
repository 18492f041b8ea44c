"""How the PostgreSQL client tools reach the database: a local process or an exec in the pod.

A `Transport` runs one of pg_dump, pg_restore or psql with the connection filled in, streams a
file into its stdin and its stdout into a writer, and raises `DbError` (password masked) when the
tool fails. Dump, restore and the queries are written once against this seam:

- `LocalTransport` runs the binaries on this machine against a directly reachable server
  (`--dsn`). This is how the tests prove the logic, against a real PostgreSQL.
- `PodExecTransport` runs the same tools inside the PostgreSQL pod through the Kubernetes exec
  API (lightkube `Client.exec`, a websocket), authenticating as the pod's local user. It is thin
  on purpose and untested end to end: the fake API server used by the tests has no exec.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal, Protocol

from labctl.db.dsn import Dsn
from labctl.db.errors import DbError, DbTimeout, DbUnreachable

if TYPE_CHECKING:
    from lightkube import Client

Tool = Literal["pg_dump", "pg_restore", "psql"]
CHUNK = 1 << 20
_BINARY_SEARCH = "/usr/lib/postgresql/*/bin"


class Writer(Protocol):
    def write(self, data: bytes, /) -> object: ...


class Transport(Protocol):
    """Runs a PostgreSQL client tool against one database."""

    @property
    def description(self) -> str:
        """Where the database is, for messages (never with a password)."""
        ...

    def run(
        self,
        tool: Tool,
        args: Sequence[str],
        *,
        connect: bool = True,
        stdin: BinaryIO | None = None,
        stdout: Writer | None = None,
    ) -> bytes:
        """Run `tool args`; with `connect`, aimed at the database. Returns stdout unless
        `stdout` was given (then it is streamed there and b"" is returned)."""
        ...


def find_binary(tool: Tool, bin_dir: Path | None = None) -> str:
    """`tool` from `bin_dir`, else PATH, else the newest /usr/lib/postgresql/*/bin.

    pg_dump refuses a server newer than itself, so the newest installed version is preferred.
    """
    if bin_dir is not None:
        return str(bin_dir / tool)
    versions = sorted(glob.glob(_BINARY_SEARCH), key=lambda p: int(Path(p).parent.name))
    for folder in reversed(versions):
        candidate = Path(folder) / tool
        if candidate.exists():
            return str(candidate)
    found = shutil.which(tool)
    if found is None:
        raise DbUnreachable(f"{tool} is not installed; install the PostgreSQL client tools")
    return found


@dataclass(frozen=True)
class LocalTransport:
    """The client tools on this machine, connecting with a DSN: libpq gives up connecting
    after `connect_timeout` seconds; a tool still running after `timeout` is stopped."""

    dsn: Dsn
    bin_dir: Path | None = None
    connect_timeout: int = 10
    timeout: float | None = None

    @property
    def description(self) -> str:
        return self.dsn.masked()

    def run(
        self,
        tool: Tool,
        args: Sequence[str],
        *,
        connect: bool = True,
        stdin: BinaryIO | None = None,
        stdout: Writer | None = None,
    ) -> bytes:
        target = ["--no-password", f"--dbname={self.dsn.without_password}"] if connect else []
        argv = [find_binary(tool, self.bin_dir), *target, *args]
        env = {**os.environ, "PGCONNECT_TIMEOUT": str(self.connect_timeout)}
        env["PGAPPNAME"] = "labctl"
        if self.dsn.password is not None:
            env["PGPASSWORD"] = self.dsn.password
        with tempfile.TemporaryFile() as errors:
            try:
                process = subprocess.Popen(
                    argv,
                    stdin=stdin or subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=errors,
                    env=env,
                )
            except OSError as error:
                raise DbUnreachable(f"cannot start {tool}: {error}") from error
            with _deadline(process, self.timeout) as expired:
                captured = _pump(process, stdout)
            if expired.is_set():
                raise DbTimeout(
                    f"{tool} on {self.description} was stopped after {self.timeout:g}s (--timeout)"
                )
            errors.seek(0)
            self._check(tool, process.returncode, errors.read())
        return captured

    def _check(self, tool: Tool, code: int, stderr: bytes) -> None:
        if code == 0:
            return
        message = self.dsn.scrub(stderr.decode("utf-8", "replace").strip())
        kind = DbUnreachable if "connection to server" in message else DbError
        raise kind(f"{tool} failed (exit {code}) on {self.description}: {_tail(message)}")


@contextmanager
def _deadline(process: subprocess.Popen[bytes], seconds: float | None) -> Iterator[threading.Event]:
    """Kill `process` if it still runs after `seconds` (None: never); the event says it did."""
    expired = threading.Event()

    def stop() -> None:
        expired.set()
        process.kill()

    timer = threading.Timer(seconds, stop) if seconds else None
    if timer is not None:
        timer.start()
    try:
        yield expired
    finally:
        if timer is not None:
            timer.cancel()


def _pump(process: subprocess.Popen[bytes], sink: Writer | None) -> bytes:
    """Copy the process's stdout to `sink` (or collect it); kill it if we are interrupted."""
    assert process.stdout is not None
    collected = bytearray()
    try:
        while chunk := process.stdout.read(CHUNK):
            if sink is None:
                collected += chunk
            else:
                sink.write(chunk)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    return bytes(collected)


def _tail(message: str, lines: int = 5) -> str:
    return " | ".join(message.splitlines()[-lines:]) or "no error output"


@dataclass(frozen=True)
class PodExecTransport:
    """The client tools inside the PostgreSQL pod, run through the Kubernetes exec API.

    Connects over the pod's local socket as `user` (the image's superuser or the app owner),
    so no password crosses the wire. Streams stdin and stdout through lightkube's websocket
    exec; lightkube sends all of stdin before it reads stdout.
    """

    client: Client
    pod: str
    namespace: str
    database: str
    user: str
    container: str | None = None
    timeout: float | None = None

    @property
    def description(self) -> str:
        return f"pod {self.namespace}/{self.pod} database {self.database} as {self.user}"

    def run(
        self,
        tool: Tool,
        args: Sequence[str],
        *,
        connect: bool = True,
        stdin: BinaryIO | None = None,
        stdout: Writer | None = None,
    ) -> bytes:
        import httpx2
        from httpx2.websockets import HTTPXWSException
        from lightkube import ApiError

        target = ["--no-password", "-U", self.user, "-d", self.database] if connect else []
        sink = stdout if stdout is not None else _Collect()
        try:
            response = self.client.exec(
                self.pod,
                namespace=self.namespace,
                container=self.container,
                command=[tool, *target, *args],
                stdin=stdin,
                stdout=sink,  # type: ignore[arg-type]
                stderr=True,
                decode=None,
                timeout=self.timeout,
            )
        except httpx2.TimeoutException as error:
            raise DbTimeout(
                f"{tool} in {self.description} did not finish in {self.timeout:g}s (--timeout)"
                if self.timeout
                else f"{tool} in {self.description}: the API server stopped answering"
            ) from error
        except (ApiError, HTTPXWSException, httpx2.HTTPError) as error:
            raise DbUnreachable(
                f"cannot exec {tool} in {self.description}: {_why(error)}"
            ) from error
        if response.exit_code != 0:
            stderr = response.stderr if isinstance(response.stderr, bytes) else b""
            message = _tail(stderr.decode("utf-8", "replace").strip())
            raise DbError(
                f"{tool} failed (exit {response.exit_code}) in {self.description}: {message}"
            )
        return sink.getvalue() if isinstance(sink, _Collect) else b""


def _why(error: Exception) -> str:
    """Websocket upgrade errors print as `<Response [404]>`; say what happened instead."""
    response = getattr(error, "response", None)
    if response is not None and str(error).startswith("<Response"):
        return f"the API server answered {response.status_code} to the exec request"
    return str(error) or type(error).__name__


class _Collect:
    def __init__(self) -> None:
        self._data = bytearray()

    def write(self, data: bytes) -> int:
        self._data += data
        return len(data)

    def getvalue(self) -> bytes:
        return bytes(self._data)
