"""Restoring a dump: verify the file, refuse to overwrite data, restore, count every row.

The order is the point. The sha256 is checked before the database is contacted, so a damaged
file changes nothing. A target that already holds tables is refused unless forced. pg_restore runs
in one transaction with --exit-on-error, so a failed restore (forced or not) rolls back whole.
Afterwards every table's row count is compared with the count recorded at dump time.
"""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from labctl.db.errors import RestoreRefused
from labctl.db.metadata import DumpMetadata, read_metadata, verify
from labctl.db.queries import relation_count, row_counts
from labctl.db.transport import Transport


class TableCount(BaseModel):
    model_config = ConfigDict(frozen=True)

    table: str
    expected: int | None
    actual: int | None

    @property
    def ok(self) -> bool:
        return self.expected is None or self.expected == self.actual


class RestoreReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str
    target: str
    seconds: float
    tables: list[TableCount]

    @property
    def differences(self) -> list[TableCount]:
        return [t for t in self.tables if not t.ok]

    @property
    def ok(self) -> bool:
        return not self.differences


def restore_database(
    transport: Transport, dump: Path, *, force: bool = False, keep_owners: bool = True
) -> RestoreReport:
    """Restore `dump` into the transport's database and compare row counts with its metadata."""
    metadata = read_metadata(dump)
    verify(dump, metadata)
    existing = relation_count(transport)
    if existing and not force:
        raise RestoreRefused(
            f"{transport.description} is not empty ({existing} tables, views or sequences); "
            "restore into an empty database, or pass --force to replace the objects in the dump"
        )
    started = time.monotonic()
    with dump.open("rb") as stream:
        transport.run(
            "pg_restore", restore_args(force=bool(existing), keep_owners=keep_owners), stdin=stream
        )
    seconds = time.monotonic() - started
    return RestoreReport(
        file=str(dump),
        target=transport.description,
        seconds=round(seconds, 3),
        tables=compare(metadata, row_counts(transport)),
    )


def restore_args(*, force: bool, keep_owners: bool) -> list[str]:
    args = ["--exit-on-error", "--single-transaction"]
    if force:
        args += ["--clean", "--if-exists"]
    if not keep_owners:
        args += ["--no-owner", "--no-acl"]
    return args


def compare(metadata: DumpMetadata, actual: dict[str, int]) -> list[TableCount]:
    """Every table of the dump with its recorded and restored counts; then tables only present
    in the target (expected None: shown, not a difference)."""
    tables = [
        TableCount(table=t, expected=n, actual=actual.get(t)) for t, n in metadata.rows.items()
    ]
    extra = sorted(set(actual) - set(metadata.rows))
    return tables + [TableCount(table=t, expected=None, actual=actual[t]) for t in extra]
