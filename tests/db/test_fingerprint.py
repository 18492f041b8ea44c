"""A fingerprint notices any changed, lost or added row."""

from __future__ import annotations

import pytest

from labctl.db.fingerprint import fingerprint, quote_qualified
from labctl.db.transport import LocalTransport
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres


def test_fingerprint_changes_with_any_row(
    postgres: PostgresServer, hard_db: LocalTransport
) -> None:
    database = hard_db.dsn.database
    before = fingerprint(hard_db)
    assert before.rows["public.tasks"] == 2004 and before.checksum
    assert fingerprint(hard_db) == before
    postgres.psql("UPDATE tasks SET title = 'changed' WHERE id = 2", database)
    after = fingerprint(hard_db)
    assert after.rows == before.rows
    assert after.differences(before) == [
        f"public.tasks: checksum {after.checksum} != {before.checksum}"
    ]
    postgres.psql("DELETE FROM tasks WHERE id = 1", database)
    assert "public.tasks: 2004 rows recorded, 2003 now" in fingerprint(hard_db).differences(before)


def test_a_missing_table_has_no_checksum(transport: LocalTransport) -> None:
    print_ = fingerprint(transport)
    assert (print_.rows, print_.checksum) == ({}, None)


def test_quote_qualified() -> None:
    assert quote_qualified("public.tasks") == '"public"."tasks"'
    assert quote_qualified('"odd"') == '"odd"'
