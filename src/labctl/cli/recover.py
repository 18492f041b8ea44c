"""`labctl recover`: walk the runbook's recovery priority, fix what is safe, name the next step."""

from __future__ import annotations

from typing import Annotated

import typer

from labctl.cli._ops import (
    EXIT_FAILED,
    Context,
    DryRun,
    Kubeconfig,
    RequestTimeout,
    Yes,
    connect_to,
    err,
    errors_to_exit_codes,
    run_plan,
)


def recover(
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds for all automatic steps together.")
    ] = 600.0,
    poll: Annotated[float, typer.Option(hidden=True)] = 2.0,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Walk the runbook's recovery order, fix what is safe, name the next step.

    Checks Vault, Argo CD, ingress, monitoring and applications in that order; hard-refreshes
    and syncs drifted Argo CD apps; stops at the first stage that needs a person and names the
    command to run. Exit 0 when every stage is fine, 1 when a person is needed."""
    from labctl.actions import argocd
    from labctl.actions.recover import plan_recover
    from labctl.checks import run_checks
    from labctl.cluster.client import ClusterTarget
    from labctl.cluster.collect import collect

    with errors_to_exit_codes():
        target = ClusterTarget(kubeconfig=kubeconfig, context=context, timeout=request_timeout)
        snapshot = collect(target)
        walk = plan_recover(snapshot, run_checks(snapshot))
        typer.echo("Recovery order (runbook): Vault, Argo CD, ingress, monitoring, applications")
        for number, stage in enumerate(walk.stages, 1):
            typer.echo(f"  {number}. {stage.name:<13} {stage.state}")
            if stage.state != "not checked":
                for note in stage.notes:
                    typer.echo(f"     - {note}")
        if walk.elsewhere:
            typer.echo("Critical outside the recovery order:")
            for line in walk.elsewhere:
                typer.echo(f"     - {line}")
        typer.echo("")
        client = connect_to(kubeconfig, context, request_timeout)
        run_plan(
            walk.plan, argocd.step_applier(client, poll), yes=yes, dry_run=dry_run, timeout=timeout
        )
    stopped = walk.stopped_at
    if stopped is not None:
        err(f"stopped at {stopped.name}: it needs a person. Next: {stopped.next_command}")
        raise typer.Exit(EXIT_FAILED)
    typer.echo("every stage is fine" if not walk.plan.steps else "done: re-run to verify")
