"""Dump/restore round trip of a generated ~1 GB database: how long, and how many MB/s.

Not a test. Starts a throwaway PostgreSQL (the test fixture's server: fsync off, so the figures
are the tools' and the disk cache's, not a durable server's), fills a tasks-like table with SQL
until the database reaches --size-mb, then times `labctl db dump` (pg_dump streamed and hashed,
plus the row-count pass through pg_restore) and `labctl db restore` (sha256 check, pg_restore in
one transaction, exact row counts) into a fresh database, and checks that no row was lost.

    .venv/bin/python -m bench.backup.roundtrip --size-mb 1024
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tests.support.postgres import PostgresServer, pg_binary, running_postgres

from labctl.db.dsn import Dsn
from labctl.db.dump import count_rows_in_dump, dump_database
from labctl.db.metadata import sha256_of
from labctl.db.restore import restore_database
from labctl.db.transport import LocalTransport

# ~1 KB per row: 24 random md5s (768 hex chars, which compress about 2:1, like real text) plus
# a few short columns, a NULL in a third of the rows and some non-ASCII text.
SCHEMA = """
CREATE TABLE tasks (
  id bigserial PRIMARY KEY, owner text NOT NULL, title text NOT NULL, notes text,
  completed boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_tasks_owner_id ON tasks (owner, id);
"""
BATCH = """
INSERT INTO tasks (owner, title, notes, completed)
SELECT 'user' || (g % 5000) || '@example.com',
       'Aufgabe ' || g || ' für ' || md5(g::text),
       CASE WHEN g % 3 = 0 THEN NULL ELSE
         (SELECT string_agg(md5(random()::text || g || i), ' ') FROM generate_series(1, 24) i)
       END,
       g % 2 = 0
  FROM generate_series(1, {rows}) g
"""


def mb(size: int) -> float:
    return size / 1_000_000


def fill(server: PostgresServer, database: str, target_mb: int) -> int:
    server.psql(SCHEMA, database)
    size = 0
    while mb(size) < target_mb:
        server.psql(BATCH.format(rows=100_000), database)
        size = int(server.psql(f"SELECT pg_database_size('{database}')"))
        print(f"  generated {mb(size):.0f} MB", flush=True)
    server.psql("VACUUM ANALYZE", database)
    return int(server.psql(f"SELECT pg_database_size('{database}')"))


def timed(label: str, size: int, action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"{label:<34} {seconds:7.1f} s  {mb(size) / seconds:7.1f} MB/s of database")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--compress", type=int, default=None, help="pg_dump gzip level")
    args = parser.parse_args()
    bin_dir = Path(pg_binary("pg_dump")).parent
    with running_postgres() as server, tempfile.TemporaryDirectory(prefix="labdump-") as folder:
        source = LocalTransport(Dsn.parse(server.create_database("bench_source")), bin_dir)
        print(f"generating ~{args.size_mb} MB with SQL ...", flush=True)
        started = time.perf_counter()
        size = fill(server, "bench_source", args.size_mb)
        rows = int(server.psql("SELECT count(*) FROM tasks", "bench_source"))
        print(f"database: {mb(size):.0f} MB, {rows} rows ({time.perf_counter() - started:.0f} s)")
        out = Path(folder) / "bench.dump"
        meta = timed(
            "db dump (pg_dump + hash + count)",
            size,
            lambda: dump_database(source, out, compress=args.compress),
        )
        print(f"  dump file: {mb(meta.size):.0f} MB (ratio {meta.size / size:.2f})")
        timed("  of which: row-count pass", size, lambda: count_rows_in_dump(source, out))
        timed("  sha256 of the dump", size, lambda: sha256_of(out))
        target = LocalTransport(Dsn.parse(server.create_database("bench_target")), bin_dir)
        report = timed(
            "db restore (verify+restore+count)", size, lambda: restore_database(target, out)
        )
        print(
            f"  of which pg_restore: {report.seconds:.1f} s ({mb(size) / report.seconds:.1f} MB/s)"
        )
        restored = int(server.psql("SELECT count(*) FROM tasks", "bench_target"))
        lost = rows - restored
        print(f"rows: {rows} dumped, {restored} restored, {lost} lost; report ok: {report.ok}")


if __name__ == "__main__":
    main()
