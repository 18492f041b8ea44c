"""`labctl argocd list|refresh|sync`: the runbook's annotation and operation patches, done right."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from labctl.cli._ops import (
    Context,
    DryRun,
    Kubeconfig,
    Output,
    RequestTimeout,
    Yes,
    connect_to,
    emit,
    errors_to_exit_codes,
    run_plan,
)

app = typer.Typer(help="Argo CD Applications: list, refresh, sync.")

ArgoNamespace = Annotated[
    str, typer.Option("-n", "--namespace", help="Where the Applications live.")
]
AppName = Annotated[str, typer.Argument(help="The Application.")]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds to wait for the controller.")]
Poll = Annotated[float, typer.Option(hidden=True)]
COLUMNS = ("name", "project", "sync", "health", "revision", "target", "operation")


@app.command("list")
def list_apps(
    namespace: ArgoNamespace = "argocd",
    output: Output = "table",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Applications with their sync status, health, revision and running operation."""
    from labctl.actions import argocd as actions

    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        rows = [asdict(actions.AppRow.of(a)) for a in actions.read_apps(client, namespace)]
    emit(rows, output, COLUMNS)


@app.command()
def refresh(
    name: AppName,
    hard: Annotated[bool, typer.Option("--hard", help="Invalidate the manifest cache.")] = False,
    namespace: ArgoNamespace = "argocd",
    timeout: Timeout = 60.0,
    poll: Poll = 2.0,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Ask the controller to re-compare NAME with Git, and wait until it has."""
    from labctl.actions import argocd as actions

    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        plan = actions.plan_refresh(actions.read_app(client, name, namespace), hard=hard)
        # A refresh changes nothing in the cluster's workloads: no confirmation needed.
        run_plan(plan, actions.step_applier(client, poll), yes=True, timeout=timeout)


@app.command()
def sync(
    name: AppName,
    revision: Annotated[
        str | None, typer.Option("--revision", help="Git revision (default: targetRevision).")
    ] = None,
    prune: Annotated[bool, typer.Option("--prune", help="Delete what Git no longer has.")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the sync to finish.")] = False,
    namespace: ArgoNamespace = "argocd",
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: Timeout = 300.0,
    poll: Poll = 2.0,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Start a sync of NAME (refused while an operation runs); --wait follows it to the end."""
    from labctl.actions import argocd as actions

    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        app_ = actions.read_app(client, name, namespace)
        plan = actions.plan_sync(app_, revision=revision, prune=prune, wait=wait)
        run_plan(
            plan, actions.step_applier(client, poll), yes=yes, dry_run=dry_run, timeout=timeout
        )
