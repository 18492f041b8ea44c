"""`labctl backup list|schedules|locations|create|restore|drill`: Velero, planned and followed.

Exit codes as for every operations command (labctl.cli._ops): 0 done; 1 the backup, restore or
drill ended in failure; 3 refused or not confirmed; 4 the cluster answered with an error or not at
all; 5 timed out waiting for Velero.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from labctl.cli._ops import (
    EXIT_REFUSED,
    Context,
    DryRun,
    Force,
    Kubeconfig,
    Output,
    Reason,
    RequestTimeout,
    Yes,
    connect_to,
    emit,
    err,
    errors_to_exit_codes,
    run_plan,
    terminal_ask,
)

app = typer.Typer(help="Velero backups: list, create, restore, and the restore drill.")

Namespaces = Annotated[
    list[str] | None,
    typer.Option("-n", "--namespace", help="A namespace to include (repeat for more)."),
]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds to wait for Velero (0: never).")]
PollInterval = Annotated[float, typer.Option("--poll-interval", help="Seconds between polls.")]
DbSelector = Annotated[
    str, typer.Option("--db-selector", help="Labels of the PostgreSQL pod (key=value,...).")
]
Database = Annotated[str, typer.Option("--database", help="The database to fingerprint.")]
DbUser = Annotated[str, typer.Option("--db-user", help="The PostgreSQL user inside the pod.")]

BACKUP_COLUMNS = (
    "name",
    "schedule",
    "location",
    "phase",
    "age",
    "expires",
    "errors",
    "warnings",
    "items",
)


def _now() -> datetime:
    return datetime.now(UTC)


@app.command("list")
def list_(
    output: Output = "table",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Backups, newest first: phase, age, expiry, errors/warnings, items backed up."""
    from labctl.actions import velero

    with errors_to_exit_codes():
        rows = velero.list_backups(connect_to(kubeconfig, context, request_timeout))
    now = _now()
    emit([_backup(r, now) for r in rows], output, BACKUP_COLUMNS)


def _backup(row: Any, now: datetime) -> dict[str, Any]:
    from labctl.actions import velero

    shown: dict[str, Any] = row.model_dump(mode="json")
    shown.update(
        age=velero.age(row.taken, now),
        expires=velero.expiry(row.expires, now),
        items=velero.progress_text(row.items_backed_up, row.total_items),
    )
    return shown


@app.command()
def schedules(
    output: Output = "table",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Schedules: cron, location, phase, last backup. 3-2-1 needs one per location."""
    from labctl.actions import velero

    with errors_to_exit_codes():
        rows = velero.list_schedules(connect_to(kubeconfig, context, request_timeout))
    now = _now()
    shown = [{**r.model_dump(mode="json"), "last": velero.age(r.last_backup, now)} for r in rows]
    emit(shown, output, ("name", "schedule", "location", "phase", "paused", "ttl", "last"))


@app.command()
def locations(
    output: Output = "table",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Backup storage locations: phase (Available or not) and last validation."""
    from labctl.actions import velero

    with errors_to_exit_codes():
        rows = velero.list_locations(connect_to(kubeconfig, context, request_timeout))
    now = _now()
    shown = [
        {**r.model_dump(mode="json"), "validated": velero.age(r.last_validated, now)} for r in rows
    ]
    emit(shown, output, ("name", "provider", "bucket", "phase", "default", "validated"))


@app.command()
def create(
    namespace: Namespaces = None,
    ttl: Annotated[str, typer.Option("--ttl", help="How long Velero keeps it.")] = "168h",
    location: Annotated[
        str | None, typer.Option("--location", help="Backup storage location (default: Velero's).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Backup name.")] = None,
    record: Annotated[
        bool, typer.Option("--record/--no-record", help="Record the data fingerprint for drills.")
    ] = True,
    db_selector: DbSelector = "app.kubernetes.io/name=postgres",
    database: Database = "taskapp",
    db_user: DbUser = "postgres",
    yes: Yes = False,
    dry_run: DryRun = False,
    force: Force = False,
    reason: Reason = None,
    timeout: Timeout = 1800.0,
    poll_interval: PollInterval = 2.0,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Create a Backup (default namespaces taskapp, vault, argocd) and follow it to its final
    phase; exits non-zero unless it is Completed."""
    from labctl.actions import backup, velero
    from labctl.actions.db import PodTarget, pod_probe

    namespaces = namespace or list(backup.DEFAULT_NAMESPACES)
    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        plan = backup.plan_backup(
            name or backup.backup_name(_now()),
            namespaces,
            ttl=ttl,
            location=location,
            locations=velero.list_locations(client),
            data_namespaces=backup.DATA_NAMESPACES if record else (),
        )
        target = PodTarget("", selector=db_selector, database=database, user=db_user)
        apply = backup.step_applier(client, pod_probe(client, target))
        run_plan(
            plan,
            apply,
            yes=yes,
            dry_run=dry_run,
            force=force,
            reason=reason,
            timeout=timeout or None,
            retry_interval=poll_interval,
        )


@app.command()
def restore(
    backup_name: Annotated[str, typer.Argument(metavar="BACKUP", help="The backup to restore.")],
    namespace: Namespaces = None,
    into: Annotated[
        str | None,
        typer.Option("--into", metavar="NAMESPACE", help="Restore it under this new name."),
    ] = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    force: Force = False,
    reason: Reason = None,
    timeout: Timeout = 1800.0,
    poll_interval: PollInterval = 2.0,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Restore namespaces (default: taskapp) from BACKUP; refused over a namespace that holds
    workloads unless --force; --into restores into a new namespace (namespaceMapping)."""
    from labctl.actions import restore as actions

    namespaces = namespace or ["taskapp"]
    if into is not None and len(namespaces) != 1:
        raise typer.BadParameter("--into takes exactly one --namespace", param_hint="--into")
    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        row = actions.read_backup(client, backup_name)
        targets = [actions.read_namespace(client, ns) for ns in ([into] if into else namespaces)]
        plan = actions.plan_restore(
            actions.restore_name(backup_name, _now()), row, namespaces, targets, into=into
        )
        run_plan(
            plan,
            actions.step_applier(client),
            yes=yes,
            dry_run=dry_run,
            force=force,
            reason=reason,
            timeout=timeout or None,
            retry_interval=poll_interval,
        )


@app.command()
def drill(
    namespace: Annotated[
        str, typer.Option("-n", "--namespace", help="The namespace to drill.")
    ] = "taskapp",
    db_selector: DbSelector = "app.kubernetes.io/name=postgres",
    database: Database = "taskapp",
    db_user: DbUser = "postgres",
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: Timeout = 1200.0,
    poll_interval: PollInterval = 5.0,
    output: Output = "table",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Restore the newest Completed backup into <namespace>-drill-<time>, wait for its pods,
    compare the data with the record taken at backup time (or the source), report, and delete
    the drill namespace, also when the drill fails."""
    from labctl.actions import drill as actions
    from labctl.actions.db import PodTarget, pod_probe
    from labctl.actions.plan import ActionFailed, authorize, render_plan

    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        setup = actions.prepare_drill(client, namespace, _now())
        typer.echo(render_plan(setup.plan))
        if dry_run:
            raise typer.Exit(EXIT_REFUSED if setup.plan.refused else 0)
        authorize(setup.plan, yes=yes, ask=terminal_ask())
        target = PodTarget(namespace, selector=db_selector, database=database, user=db_user)
        report = actions.execute_drill(
            client,
            setup,
            namespace,
            pod_probe(client, target),
            progress=lambda step, message: err(f"{step.verb} {step.target}: {message}"),
            timeout=timeout or None,
            retry_interval=poll_interval,
        )
        _show_drill(report, output)
        if not report.passed:
            raise ActionFailed(report.failure or report.cleanup_error or "drill failed")


def _show_drill(report: Any, output: str) -> None:
    if output != "table":
        emit([report.model_dump(mode="json")], output, ())
        return
    verdict = "PASSED" if report.passed else "FAILED"
    lines = [
        f"Drill {verdict}: {report.namespace} from backup {report.backup} "
        f"into {report.drill_namespace} ({report.seconds:.0f}s)",
        f"  compared with: {report.reference}",
    ]
    lines += [f"  x {problem}" for problem in report.problems]
    lines += [f"  note: {note}" for note in report.notes]
    if report.failure:
        lines.append(f"  failed: {report.failure}")
    cleanup = "deleted" if report.cleaned_up else f"NOT deleted: {report.cleanup_error}"
    lines.append(f"  drill namespace {report.drill_namespace}: {cleanup}")
    typer.echo("\n".join(lines))
