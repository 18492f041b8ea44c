"""`labctl etcd snapshot`: a verified etcd snapshot, shipped to every backup target."""

from __future__ import annotations

from typing import Annotated

import typer

from labctl.cli._ops import (
    Context,
    DryRun,
    Kubeconfig,
    RequestTimeout,
    Yes,
    connect_to,
    errors_to_exit_codes,
    run_plan,
)

app = typer.Typer(help="etcd: snapshots shipped to the backup targets.", no_args_is_help=True)


@app.command()
def snapshot(
    yes: Yes = False,
    dry_run: DryRun = False,
    namespace: Annotated[
        str, typer.Option("-n", "--namespace", help="Where the etcd-snapshot CronJob is.")
    ] = "velero",
    timeout: Annotated[
        float, typer.Option("--timeout", help="Give up after this many seconds.")
    ] = 1800.0,
    poll_interval: Annotated[float, typer.Option(hidden=True)] = 5.0,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Run the etcd-snapshot Job now: etcdctl snapshot save on a control-plane node, etcdutl
    snapshot status, then the file and its sha256 to every backup target."""
    from datetime import UTC, datetime

    from labctl.actions import etcd_snapshot as actions

    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        plan = actions.plan_snapshot(actions.read_cronjob(client, namespace), datetime.now(UTC))
        done = run_plan(
            plan,
            actions.step_applier(client, poll_interval),
            yes=yes,
            dry_run=dry_run,
            timeout=timeout or None,
            retry_interval=poll_interval,
        )
        if done:
            typer.echo(done[-1][1])
