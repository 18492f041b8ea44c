"""`labctl upgrade plan|node`: Kubernetes minor upgrades, planned, checked and driven per node.

Exit codes (docs/operations.md has the table): 0 done (or nothing blocks the plan), 1 failed,
3 a step is blocked or the plan was refused, 4 cluster/API error, 5 timed out (a node never
came back Ready); a bad --to or folder is a usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from labctl.cli._ops import (
    EXIT_REFUSED,
    Context,
    DryRun,
    Force,
    Kubeconfig,
    Reason,
    RequestTimeout,
    Yes,
    connect_to,
    err,
    errors_to_exit_codes,
    run_plan,
    terminal_ask,
)

if TYPE_CHECKING:
    from labctl.upgrade.plan import NodeStep, PlanInputs, UpgradePlan, UpgradeStep

app = typer.Typer(help="Kubernetes minor upgrades: plan the steps, then upgrade node by node.")

To = Annotated[str, typer.Option("--to", help="The target minor version, e.g. 1.34.")]
Tree = Annotated[
    Path | None, typer.Option("--tree", help="The rendered GitOps tree to check as well.")
]
Charts = Annotated[
    Path | None,
    typer.Option("--charts", help="A folder of pulled charts (Chart.yaml) for their kubeVersion."),
]


@app.command()
def plan(
    to: To,
    snapshot: Annotated[
        Path | None, typer.Option(help="Plan from a saved snapshot folder instead of the cluster.")
    ] = None,
    tree: Tree = None,
    charts: Charts = None,
    output: Annotated[str, typer.Option("-o", "--output", help="table, json or markdown.")] = (
        "table"
    ),
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """The minor steps from the running version to --to, and what each one needs.

    Per step: APIs it removes that the cluster or the tree still use, pinned charts and CRDs
    against the new version, etcd and Velero backups, and the nodes in order with the drain
    preflight and the commands to run on each. Exits 3 if a step is blocked."""
    import json

    from labctl.upgrade import report

    if output not in ("table", "json", "markdown"):
        raise typer.BadParameter(f"unknown output {output!r}: use table, json or markdown")
    with errors_to_exit_codes():
        result = _build(to, snapshot, tree, charts, kubeconfig, context, request_timeout)
    if output == "json":
        typer.echo(json.dumps(report.to_json(result), indent=2))
    elif output == "markdown":
        typer.echo(report.to_markdown(result), nl=False)
    else:
        typer.echo(report.to_text(result))
    if result.blocked:
        raise typer.Exit(EXIT_REFUSED)


def _inputs(
    to: str,
    snapshot: Path | None,
    tree: Path | None,
    charts: Path | None,
    kubeconfig: Path | None,
    context: str | None,
    timeout: float,
) -> PlanInputs:
    from labctl.cluster.snapshot import Snapshot
    from labctl.kubeversion import Version, VersionError
    from labctl.upgrade import apis, facts
    from labctl.upgrade import charts as chart_data
    from labctl.upgrade.plan import PlanInputs
    from labctl.validate.tree import load_tree

    try:
        target = Version.parse(to)
    except VersionError as error:
        raise typer.BadParameter(str(error), param_hint="--to") from None
    for folder, flag in ((snapshot, "--snapshot"), (tree, "--tree"), (charts, "--charts")):
        if folder is not None and not folder.is_dir():
            raise typer.BadParameter(f"{folder} is not a folder", param_hint=flag)
    if snapshot is not None:
        cluster = Snapshot.load(snapshot)
    else:
        cluster = facts.read_live(connect_to(kubeconfig, context, timeout))
    objects: list[apis.TreeObject] = []
    if tree is not None:
        loaded = load_tree(tree)
        for problem in loaded.errors:
            err(f"tree: {problem}")
        objects = [apis.TreeObject(m.path, m.obj) for m in loaded.manifests]
    return PlanInputs(cluster, target, objects, chart_data.known_ranges(charts))


def _build(
    to: str,
    snapshot: Path | None,
    tree: Path | None,
    charts: Path | None,
    kubeconfig: Path | None,
    context: str | None,
    timeout: float,
) -> UpgradePlan:
    from labctl.upgrade.plan import PlanError, build_plan

    inputs = _inputs(to, snapshot, tree, charts, kubeconfig, context, timeout)
    try:
        return build_plan(inputs)
    except PlanError as error:
        hint = "--to" if str(error).startswith("--to") else None
        raise typer.BadParameter(str(error), param_hint=hint) from None


@app.command()
def node(
    name: Annotated[str, typer.Argument(help="The node to upgrade.", metavar="NODE")],
    to: To,
    continue_: Annotated[
        bool,
        typer.Option("--continue", help="The commands ran on the node: verify, uncordon, settle."),
    ] = False,
    tree: Tree = None,
    charts: Charts = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    force: Force = False,
    reason: Reason = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            help="Seconds to wait for the drain, then for the node and its workloads to be back.",
        ),
    ] = 900.0,
    poll_interval: Annotated[float, typer.Option(hidden=True)] = 5.0,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Upgrade NODE one minor version: drain, pause for its commands, verify, uncordon.

    Plans first (the step must not be blocked), drains with the preflight of `labctl node
    drain`, prints the commands to run on the node and waits for you; without a terminal it
    stops there: run them, then the same command with --continue, which waits until the
    kubelet reports the new version and is Ready, uncordons, and waits for its workloads."""
    from labctl.actions import drain
    from labctl.actions.kube import get_json
    from labctl.kubeversion import Version, VersionError
    from labctl.upgrade import node as flow

    try:
        target = Version.parse(to)
    except VersionError as error:
        raise typer.BadParameter(str(error), param_hint="--to") from None
    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        apply = flow.step_applier(client, poll_interval)
        if not continue_:
            upgrade = _build(to, None, tree, charts, kubeconfig, context, request_timeout)
            entry = _node_entry(upgrade, name, force, reason)
            if entry is None:
                return
            inputs = drain.read_inputs(client, name)
            workloads = flow.workloads_of(client, list(inputs.pods))
            drained = flow.plan_drain(inputs, workloads, target.minor_name)
            run_plan(
                drained,
                apply,
                yes=yes,
                dry_run=dry_run,
                force=force,
                reason=reason,
                timeout=timeout or None,
                retry_interval=poll_interval,
            )
            typer.echo(f"\nNow run on {name} ({entry.role}):")
            typer.echo("\n".join(f"  $ {c}" for c in entry.commands))
            ask = None if dry_run else terminal_ask()
            if ask is None or not ask("Have these commands finished on the node?"):
                typer.echo(f"\nThen: labctl upgrade node {name} --to {to} --continue")
                return
        finish = flow.plan_finish(get_json(client, "Node", name), target)
        run_plan(
            finish,
            apply,
            yes=True,
            dry_run=dry_run,
            timeout=timeout or None,
            retry_interval=poll_interval,
        )
        if not dry_run:
            typer.echo(
                f"{name} is at {target.minor_name}, Ready, uncordoned; its workloads are back."
            )


def _node_entry(
    upgrade: UpgradePlan, name: str, force: bool, reason: str | None
) -> NodeStep | None:
    """The node's place in the next step, after the refusals that concern it; None when the
    node is already at the target."""
    from labctl.kubeversion import Version
    from labctl.upgrade import report
    from labctl.upgrade.commands import WORKER

    step = next((s for s in upgrade.steps if s.target == upgrade.target), None)
    entry = next((n for n in step.nodes if n.name == name), None) if step else None
    if step is None or entry is None:
        err(f"{name} is already at {upgrade.target.minor_name} or is not a node here")
        return None
    if step.number != 1:
        first = upgrade.steps[0]
        err(
            f"refused: {name} needs {len(upgrade.steps)} minor steps; kubeadm skips none "
            f"(start with --to {first.target.minor_name}: {first.title})"
        )
        raise typer.Exit(EXIT_REFUSED)
    _refuse_blocked(upgrade, step, force, reason)
    if entry.role == WORKER and Version.parse(upgrade.apiserver) < upgrade.target:
        err(
            f"refused: kube-apiserver is still {upgrade.apiserver}: upgrade the control plane "
            "first (a kubelet must not be newer than kube-apiserver)"
        )
        raise typer.Exit(EXIT_REFUSED)
    typer.echo("\n".join(report.step_lines(step, commands=False)))
    return entry


def _refuse_blocked(
    upgrade: UpgradePlan, step: UpgradeStep, force: bool, reason: str | None
) -> None:
    """Refuse what blocks the cluster now (skew, removed component APIs) or this step. Drain
    refusals are per node: this node's are judged by its drain plan (--force --reason there),
    other nodes' do not stop this one."""
    blockers = [f.message + (f": {f.fix}" if f.fix else "") for f in upgrade.before if f.blocks]
    blockers += [b for b in step.blockers if not b.startswith("drain ")]
    if blockers and not (force and reason and reason.strip()):
        err(f"refused: step {step.title} is blocked: " + "; ".join(blockers))
        err("override with --force --reason TEXT")
        raise typer.Exit(EXIT_REFUSED)
