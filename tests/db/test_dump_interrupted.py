"""A dump that stops halfway leaves nothing that looks like a complete dump."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from labctl.db.dump import dump_database, partial_path
from labctl.db.errors import DbError, DumpCorrupted
from labctl.db.metadata import metadata_path
from labctl.db.restore import restore_database
from labctl.db.transport import LocalTransport, Tool, Writer

pytestmark = pytest.mark.postgres


class StopHalfway:
    """pg_dump's stdout reaches the file until half of it was written, then `error` is raised."""

    def __init__(self, inner: LocalTransport, total: int, error: BaseException) -> None:
        self.inner, self.total, self.error = inner, total, error
        self.description = inner.description

    def run(
        self, tool: Tool, args: Sequence[str], *, stdout: Writer | None = None, **kw: Any
    ) -> bytes:
        if tool != "pg_dump" or stdout is None:
            return self.inner.run(tool, args, stdout=stdout, **kw)
        sink, budget = stdout, self.total // 2
        error = self.error

        class Half:
            def write(self, data: bytes) -> int:
                nonlocal budget
                sink.write(data[:budget])
                budget -= min(budget, len(data))
                if budget == 0:
                    raise error
                return len(data)

        return self.inner.run(tool, args, stdout=Half(), **kw)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("error", [KeyboardInterrupt(), DbError("pg_dump died")])
def test_an_interrupted_dump_removes_its_partial_file(
    hard_db: LocalTransport, tmp_path: Path, error: BaseException
) -> None:
    complete = tmp_path / "complete.dump"
    size = dump_database(hard_db, complete).size
    out = tmp_path / "out" / "db.dump"
    out.parent.mkdir()
    with pytest.raises(type(error)):
        dump_database(StopHalfway(hard_db, size, error), out)
    assert leftovers(out.parent) == []


KILLED_DUMP = """
import sys, time
from pathlib import Path
from labctl.db.dsn import Dsn
from labctl.db.dump import dump_database
from labctl.db.transport import LocalTransport

class Slow(LocalTransport):
    def run(self, tool, args, *, stdout=None, **kw):
        if tool != "pg_dump":
            return super().run(tool, args, stdout=stdout, **kw)
        class Sink:
            def write(self, data):
                stdout.write(data[:4096])
                stdout.stream.flush()
                Path(sys.argv[3]).touch()
                time.sleep(60)
        return super().run(tool, args, stdout=Sink(), **kw)

dump_database(Slow(Dsn.parse(sys.argv[1]), Path(sys.argv[2])), Path(sys.argv[4]))
"""


def test_a_killed_dump_leaves_only_a_partial_file_that_restore_refuses(
    hard_db: LocalTransport, tmp_path: Path
) -> None:
    out, started = tmp_path / "db.dump", tmp_path / "started"
    assert hard_db.bin_dir is not None
    dsn = hard_db.dsn.without_password.replace("postgres@", f"postgres:{hard_db.dsn.password}@")
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_DUMP, dsn, str(hard_db.bin_dir), str(started), str(out)]
    )
    try:
        deadline = time.monotonic() + 30
        while not started.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the dump never started writing"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert not out.exists() and not metadata_path(out).exists()
    assert partial_path(out).stat().st_size > 0
    with pytest.raises(DumpCorrupted, match="missing"):
        restore_database(hard_db, partial_path(out))
