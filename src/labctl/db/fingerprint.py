"""A database's fingerprint: rows per table and a checksum of one table's contents.

The restore drill compares the fingerprint of a restored database with one recorded when the
backup was taken (or with the live source). The checksum is the md5 of the table's rows as
text, in a stable order, so any changed, lost or added row changes it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from labctl.db.queries import query_json, row_counts
from labctl.db.transport import Transport

TASKS_TABLE = "public.tasks"
_CHECKSUM = "SELECT to_json(md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')))"


class Fingerprint(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: dict[str, int]
    checksum_table: str
    checksum: str | None

    def differences(self, other: Fingerprint) -> list[str]:
        """What differs from `other` (the reference), in words; empty when they agree."""
        found = [
            f"{table}: {other.rows[table]} rows recorded, {self.rows.get(table, 'table missing')}"
            " now"
            for table in sorted(other.rows)
            if self.rows.get(table) != other.rows[table]
        ]
        if other.checksum is not None and self.checksum != other.checksum:
            found.append(f"{other.checksum_table}: checksum {self.checksum} != {other.checksum}")
        return found


def quote_qualified(name: str) -> str:
    """`schema.table` as a quoted SQL identifier; names as `format('%I.%I')` spells them."""
    parts = name.split(".", 1) if not name.startswith('"') else [name]
    return ".".join(p if p.startswith('"') else '"' + p.replace('"', '""') + '"' for p in parts)


def fingerprint(transport: Transport, table: str = TASKS_TABLE) -> Fingerprint:
    rows = row_counts(transport)
    checksum = None
    if table in rows:
        # The table name is quoted as an identifier, never interpolated as SQL text.
        source = quote_qualified(table)
        sql = f"{_CHECKSUM} FROM {source} t"
        checksum = str(query_json(transport, sql))
    return Fingerprint(rows=rows, checksum_table=table, checksum=checksum)
