"""The read-only SQL labctl runs, through psql on any transport, answered as JSON.

Each query returns one JSON value, so psql's unaligned tuples-only output is the whole answer
and nothing depends on psql's table formatting.
"""

from __future__ import annotations

import json
from typing import Any

from labctl.db.errors import DbError
from labctl.db.transport import Transport

_PSQL = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c"]

# Ordinary tables only: partitions count their own rows and their parents would count them twice,
# and this matches the COPY blocks of a dump one to one.
_USER_TABLES = """
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND n.nspname <> 'information_schema'
   AND n.nspname NOT LIKE 'pg\\_%'
"""

ROW_COUNTS = f"""
SELECT coalesce(json_object_agg(t.name, t.n ORDER BY t.name), '{{}}') FROM (
  SELECT format('%I.%I', n.nspname, c.relname) AS name,
         (xpath('/row/n/text()', query_to_xml(
            format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname),
            false, true, '')))[1]::text::bigint AS n
  {_USER_TABLES}
) t
"""  # noqa: S608 - constant SQL; format('%I') quotes the names

RELATION_COUNT = """
SELECT json_build_object('relations', count(*))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
"""

SERVER = (
    "SELECT json_build_object('version', current_setting('server_version'), "
    "'database', current_database())"
)

DYNAMIC_ROLES = """
SELECT json_build_object('now', now(), 'roles', coalesce(json_agg(json_build_object(
         'name', r.rolname,
         'valid_until', CASE WHEN r.rolvaliduntil = 'infinity' THEN NULL ELSE r.rolvaliduntil END,
         'can_login', r.rolcanlogin,
         'expired', coalesce(r.rolvaliduntil < now(), false),
         'sessions', (SELECT count(*) FROM pg_stat_activity a WHERE a.usename = r.rolname)
       ) ORDER BY r.rolname), '[]'))
  FROM pg_roles r WHERE starts_with(r.rolname, {prefix})
"""


def literal(value: str) -> str:
    """`value` as an SQL string literal (E'' form, so the server's settings cannot change it)."""
    if "\x00" in value:
        raise ValueError("a NUL byte cannot be part of an SQL string")
    return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def query_json(transport: Transport, sql: str) -> Any:
    """Run `sql`, which answers one JSON value, with psql and decode it."""
    out = transport.run("psql", [*_PSQL, sql])
    text = out.decode("utf-8").strip()
    try:
        return json.loads(text)
    except ValueError as error:
        where = transport.description
        raise DbError(f"unexpected answer from psql on {where}: {text[:200]!r}") from error


def row_counts(transport: Transport) -> dict[str, int]:
    """Exact row count of every ordinary table, keyed `schema.table` (quoted as SQL would)."""
    counts: dict[str, int] = query_json(transport, ROW_COUNTS)
    return counts


def relation_count(transport: Transport) -> int:
    """Tables, views, sequences and the like outside the system schemas."""
    return int(query_json(transport, RELATION_COUNT)["relations"])


def server_info(transport: Transport) -> tuple[str, str]:
    """(server version, database name)."""
    info = query_json(transport, SERVER)
    return str(info["version"]), str(info["database"])
