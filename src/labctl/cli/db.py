"""`labctl db dump|restore|users`: PostgreSQL through a DSN or inside its pod.

With `--dsn` (or LABCTL_DB_DSN) the local pg_dump/pg_restore/psql reach the server directly;
otherwise they run inside the PostgreSQL pod (`--pod`, or the first running pod matching
`--selector` in `-n`) through the Kubernetes exec API. Passwords never appear in output.

`--request-timeout` bounds each API call and each database connection, `--timeout` the whole
run of each client tool (0: no limit), as in every other command.

Exit codes (`labctl.cli.exit_codes`): 0 done; 1 failed (row counts differ, checksum mismatch,
expired roles still hold sessions for `users`); 3 refused (a non-empty target without --force,
or not confirmed); 4 the database or the cluster could not be reached; 5 a tool ran past
--timeout; 64 usage.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from labctl.cli._ops import (
    EXIT_FAILED,
    Context,
    Kubeconfig,
    Output,
    RequestTimeout,
    Yes,
    connect_to,
    emit,
    err,
    errors_to_exit_codes,
    terminal_ask,
)

if TYPE_CHECKING:
    from labctl.db.transport import Transport

app = typer.Typer(help="PostgreSQL: verified dumps and restores, Vault's dynamic users.")

Dsn = Annotated[
    str | None,
    typer.Option(
        "--dsn",
        metavar="URL",
        envvar="LABCTL_DB_DSN",
        help="Connect directly (libpq URL); else exec.",
    ),
]
PgBin = Annotated[
    Path | None,
    typer.Option("--pg-bin", metavar="DIR", envvar="LABCTL_PG_BIN", help="Folder of pg_dump etc."),
]
Pod = Annotated[
    str | None, typer.Option("--pod", metavar="NAME", help="The PostgreSQL pod (exec).")
]
Namespace = Annotated[str, typer.Option("-n", "--namespace", help="The pod's namespace.")]
Selector = Annotated[
    str, typer.Option("--selector", metavar="LABELS", help="Labels to find the pod by.")
]
Container = Annotated[
    str | None, typer.Option("--container", metavar="NAME", help="The pod's container.")
]
Database = Annotated[str, typer.Option("--database", help="The database in the pod.")]
DbUser = Annotated[str, typer.Option("--db-user", help="The PostgreSQL user in the pod.")]
Timeout = Annotated[
    float,
    typer.Option("--timeout", min=0, help="Stop a client tool running longer (0: never)."),
]


@contextmanager
def _db_errors() -> Iterator[None]:
    from labctl.db.errors import DbError

    with errors_to_exit_codes():
        try:
            yield
        except DbError as error:
            err(str(error))
            raise typer.Exit(error.exit_code) from None


def _transport(
    dsn: str | None,
    pg_bin: Path | None,
    pod: str | None,
    namespace: str,
    selector: str,
    container: str | None,
    database: str,
    db_user: str,
    kubeconfig: Path | None,
    context: str | None,
    request_timeout: float,
    timeout: float,
) -> Transport:
    from labctl.actions import db

    if dsn:
        return db.local_transport(dsn, pg_bin, request_timeout, timeout or None)
    client = connect_to(kubeconfig, context, request_timeout)
    target = db.PodTarget(namespace, pod, selector, container, database, db_user)
    return db.pod_transport(client, target, timeout=timeout or None)


@app.command()
def dump(
    output_file: Annotated[
        Path | None,
        typer.Option("-o", "--output-file", metavar="FILE", help="Default: DATABASE-TIME.dump"),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    compress: Annotated[
        int | None,
        typer.Option(
            "--compress", metavar="LEVEL", min=0, max=9, help="gzip level (pg_dump's default)."
        ),
    ] = None,
    dsn: Dsn = None,
    pg_bin: PgBin = None,
    pod: Pod = None,
    namespace: Namespace = "taskapp",
    selector: Selector = "app.kubernetes.io/name=postgres",
    container: Container = None,
    database: Database = "taskapp",
    db_user: DbUser = "postgres",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
    timeout: Timeout = 0.0,
) -> None:
    """pg_dump (custom format) to FILE, written as FILE.partial and renamed only when complete,
    with FILE.meta.json beside it (sha256, size, server version, rows per table)."""
    from labctl.db.dump import default_dump_path, dump_database
    from labctl.db.metadata import metadata_path

    with _db_errors():
        transport = _transport(
            dsn, pg_bin, pod, namespace, selector, container, database, db_user,
            kubeconfig, context, request_timeout, timeout,
        )  # fmt: skip
        out = output_file or default_dump_path(_database_name(dsn, database))
        meta = dump_database(transport, out, overwrite=force, compress=compress)
    typer.echo(
        f"wrote {out} ({meta.size} bytes, sha256 {meta.sha256}) from {transport.description}, "
        f"PostgreSQL {meta.server_version}\n"
        f"rows: {meta.total_rows} in {len(meta.rows)} tables; metadata: {metadata_path(out)}"
    )


def _database_name(dsn: str | None, database: str) -> str:
    from labctl.db.dsn import Dsn as ParsedDsn

    return ParsedDsn.parse(dsn).database if dsn else database


@app.command()
def restore(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A dump written by `labctl db dump`.")
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Restore into a database that holds tables.")
    ] = False,
    no_owner: Annotated[
        bool, typer.Option("--no-owner", help="Skip ownership and grants (another server).")
    ] = False,
    yes: Yes = False,
    output: Output = "table",
    dsn: Dsn = None,
    pg_bin: PgBin = None,
    pod: Pod = None,
    namespace: Namespace = "taskapp",
    selector: Selector = "app.kubernetes.io/name=postgres",
    container: Container = None,
    database: Database = "taskapp",
    db_user: DbUser = "postgres",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
    timeout: Timeout = 0.0,
) -> None:
    """Verify FILE's sha256, refuse a non-empty target unless --force, restore in one
    transaction, and compare every table's row count with the dump's metadata."""
    from labctl.actions.plan import Plan, Step, authorize, render_plan
    from labctl.db.restore import restore_database

    with _db_errors():
        transport = _transport(
            dsn, pg_bin, pod, namespace, selector, container, database, db_user,
            kubeconfig, context, request_timeout, timeout,
        )  # fmt: skip
        plan = Plan(
            f"restore {file.name}",
            (
                Step("verify", "Dump", None, str(file), "sha256 and size against FILE.meta.json"),
                Step(
                    "restore",
                    "Database",
                    None,
                    transport.description,
                    "pg_restore in one transaction" + (", replacing its objects" if force else ""),
                ),
                Step("compare", "Database", None, transport.description, "row counts per table"),
            ),
        )
        typer.echo(render_plan(plan))
        authorize(plan, yes=yes, ask=terminal_ask())
        report = restore_database(transport, file, force=force, keep_owners=not no_owner)
    rows = [{**t.model_dump(), "ok": "yes" if t.ok else "NO"} for t in report.tables]
    emit(rows, output, ("table", "expected", "actual", "ok"))
    if not report.ok:
        err(f"failed: {len(report.differences)} tables differ from the dump's metadata")
        raise typer.Exit(EXIT_FAILED)
    err(f"restored {file} into {report.target} in {report.seconds:.1f}s; every row count matches")


@app.command()
def users(
    prefix: Annotated[
        str, typer.Option("--prefix", metavar="TEXT", help="Role name prefix.")
    ] = "v-",
    output: Output = "table",
    dsn: Dsn = None,
    pg_bin: PgBin = None,
    pod: Pod = None,
    namespace: Namespace = "taskapp",
    selector: Selector = "app.kubernetes.io/name=postgres",
    container: Container = None,
    database: Database = "taskapp",
    db_user: DbUser = "postgres",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
    timeout: Timeout = 0.0,
) -> None:
    """Vault's dynamic roles with VALID UNTIL and open sessions; flags expired roles that are
    still connected (VALID UNTIL does not end sessions). Exits 1 when any is flagged."""
    from labctl.db.users import dynamic_users

    with _db_errors():
        transport = _transport(
            dsn, pg_bin, pod, namespace, selector, container, database, db_user,
            kubeconfig, context, request_timeout, timeout,
        )  # fmt: skip
        found = dynamic_users(transport, prefix)
    rows = [
        {
            **u.model_dump(mode="json"),
            "flag": "EXPIRED, STILL CONNECTED" if u.stale_sessions else "",
        }
        for u in found.users
    ]
    emit(rows, output, ("name", "valid_until", "expired", "sessions", "flag"))
    if found.flagged:
        err(
            f"{len(found.flagged)} expired roles still hold sessions: their credentials outlived "
            "the lease (end them with pg_terminate_backend, or add that to Vault's "
            "revocation_statements)"
        )
        raise typer.Exit(EXIT_FAILED)
