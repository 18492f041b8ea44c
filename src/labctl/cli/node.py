"""`labctl node drain|uncordon`: node maintenance with a PDB preflight."""

from __future__ import annotations

from typing import Annotated

import typer

from labctl.cli._ops import (
    Context,
    DryRun,
    Force,
    Kubeconfig,
    Reason,
    RequestTimeout,
    Yes,
    connect_to,
    errors_to_exit_codes,
    run_plan,
)

app = typer.Typer(help="Node maintenance: drain (with a PDB preflight) and uncordon.")


@app.command()
def drain(
    node: Annotated[str, typer.Argument(help="The node to drain.")],
    yes: Yes = False,
    dry_run: DryRun = False,
    force: Force = False,
    reason: Reason = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Give up after this many seconds (0: never).")
    ] = 300.0,
    retry_interval: Annotated[float, typer.Option(hidden=True)] = 5.0,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Cordon NODE and evict its pods, after a PodDisruptionBudget preflight.

    Like kubectl drain --ignore-daemonsets --delete-emptydir-data, but a drain that a budget
    would block forever is refused. --force evicts pods without a controller and deletes pods
    whose budget never allows an eviction (availability loss: say why with --reason)."""
    from labctl.actions import drain as actions

    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        plan = actions.plan_drain(actions.read_inputs(client, node), force=force)
        run_plan(
            plan,
            actions.step_applier(client),
            yes=yes,
            dry_run=dry_run,
            force=force,
            reason=reason,
            timeout=timeout or None,
            retry_interval=retry_interval,
        )


@app.command()
def uncordon(
    node: Annotated[str, typer.Argument(help="The node to make schedulable again.")],
    yes: Yes = False,
    dry_run: DryRun = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Mark NODE schedulable again."""
    from labctl.actions import drain as actions
    from labctl.actions.kube import get_json

    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        plan = actions.plan_uncordon(get_json(client, "Node", node))
        run_plan(plan, actions.step_applier(client), yes=yes, dry_run=dry_run)
