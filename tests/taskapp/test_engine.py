"""The FIFO queue in front of the pool: a free slot is taken at once, a full queue times out."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from taskapp.db.crud import Conn
from taskapp.db.engine import Database
from taskapp.errors import DatabaseUnavailable
from taskapp.metrics import Metrics
from tests.taskapp.support import sqlite_settings

pytestmark = pytest.mark.anyio


async def test_queue_answers_503_when_no_slot_frees_in_time(tmp_path: Path) -> None:
    db = Database(sqlite_settings(tmp_path, db_pool_size=1, db_pool_timeout=0.2), Metrics())
    await db.start()
    try:
        with anyio.fail_after(10):
            while True:
                if db.ready:
                    break
                await anyio.sleep(0.02)
        release = anyio.Event()

        async def hold(conn: Conn) -> str:
            await release.wait()
            return "held"

        async def quick(conn: Conn) -> str:
            return "quick"

        async with anyio.create_task_group() as group:
            group.start_soon(db.run, hold)
            await anyio.sleep(0.05)
            with pytest.raises(DatabaseUnavailable, match="no database connection free"):
                await db.run(quick)
            release.set()
        assert await db.run(quick) == "quick"
    finally:
        await db.close()
