"""A throwaway PostgreSQL server from the installed server binaries.

initdb into a temporary folder, listen on a free loopback port, and remove everything on stop.
PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (or
`nobody`) and owns only its temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.tools import require

_SEARCH = ("/usr/lib/postgresql/*/bin/{name}",)


def pg_binary(name: str) -> str:
    return require(name, "postgresql", search=tuple(p.format(name=name) for p in _SEARCH))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


@dataclass
class PostgresServer:
    """One PostgreSQL server. `superuser_dsn` connects over TCP with a password (SCRAM)."""

    root: Path
    port: int = field(default_factory=free_port)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    user: pwd.struct_passwd | None = field(default_factory=_server_user)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def dsn(
        self, database: str = "postgres", user: str = "postgres", password: str | None = None
    ) -> str:
        secret = self.password if password is None else password
        return f"postgresql://{user}:{secret}@{self.host}:{self.port}/{database}"

    @property
    def superuser_dsn(self) -> str:
        return self.dsn()

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self.user is not None:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            args, check=True, capture_output=True, text=True, cwd=self.root, **kwargs
        )

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.user is not None:
            for path in (self.root, pwfile):
                os.chown(path, self.user.pw_uid, self.user.pw_gid)
        self._run(
            pg_binary("initdb"),
            "--pgdata",
            str(self.data_dir),
            "--username",
            "postgres",
            "--pwfile",
            str(pwfile),
            "--auth-local",
            "trust",
            "--auth-host",
            "scram-sha-256",
            "--encoding",
            "UTF8",
            "--locale",
            "C.UTF-8",
            "--no-sync",
        )
        pwfile.unlink()

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.root} -c fsync=off -c full_page_writes=off "
            "-c synchronous_commit=off -c max_connections=200"
        )
        self._run(
            pg_binary("pg_ctl"),
            "start",
            "--wait",
            "--timeout",
            "60",
            "--pgdata",
            str(self.data_dir),
            "--log",
            str(self.root / "server.log"),
            "-o",
            options,
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(pg_binary("pg_ctl"), "stop", "--wait", "--pgdata", str(self.data_dir), "-m", mode)

    def restart(self) -> None:
        self.stop()
        self.start()

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over the Unix socket and return the unaligned output."""
        result = self._run(
            pg_binary("psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.root),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-c",
            sql,
        )
        return result.stdout.strip()

    def create_database(self, name: str) -> str:
        self.psql(f'CREATE DATABASE "{name}"')
        return self.dsn(name)


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A fresh server for the duration of the block; its folder is removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="labpg-"))
    server = PostgresServer(root=root)
    try:
        server.init()
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
