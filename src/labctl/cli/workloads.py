"""`labctl restart|scale`, `labctl pods delete`, `labctl jobs clean`: plans with refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from labctl.cli._ops import (
    Context,
    DryRun,
    Force,
    Kubeconfig,
    Namespace,
    Reason,
    RequestTimeout,
    Yes,
    connect_to,
    errors_to_exit_codes,
    run_plan,
)

pods = typer.Typer(help="Pods: delete (graceful, or --force with the risk explained).")
jobs = typer.Typer(help="Jobs: clean up finished ones.")


def _ref(value: str) -> tuple[str, str]:
    from labctl.actions.workloads import parse_ref

    try:
        return parse_ref(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def restart(
    workload: Annotated[str, typer.Argument(help="NAME or KIND/NAME (deployment, sts, ds).")],
    namespace: Namespace = "default",
    yes: Yes = False,
    dry_run: DryRun = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Roll every pod of a Deployment (or StatefulSet/DaemonSet), like kubectl rollout restart."""
    from labctl.actions import workloads as actions

    kind, name = _ref(workload)
    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        target = actions.read_workload(client, kind, name, namespace)
        plan = actions.plan_restart(target, datetime.now(UTC))
        run_plan(plan, actions.step_applier(client), yes=yes, dry_run=dry_run)


def scale(
    workload: Annotated[str, typer.Argument(help="KIND/NAME (deployment, statefulset, rs).")],
    replicas: Annotated[int, typer.Option("--replicas", min=0, help="The new replica count.")],
    namespace: Namespace = "default",
    yes: Yes = False,
    dry_run: DryRun = False,
    force: Force = False,
    reason: Reason = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Set the replica count; scaling to 0 behind a PDB or with PVCs needs --force --reason."""
    from labctl.actions import workloads as actions

    kind, name = _ref(workload)
    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        plan = actions.plan_scale(
            actions.read_scale_inputs(client, kind, name, namespace), replicas
        )
        run_plan(
            plan, actions.step_applier(client), yes=yes, dry_run=dry_run, force=force, reason=reason
        )


@pods.command("delete")
def delete_pod(
    pod: Annotated[str, typer.Argument(help="The pod.")],
    namespace: Namespace = "default",
    force: Annotated[
        bool, typer.Option("--force", help="Grace period 0: the pod leaves the API at once.")
    ] = False,
    reason: Reason = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the pod until it has left the API.")
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds --wait waits (then exit 5).")
    ] = 120.0,
    yes: Yes = False,
    dry_run: DryRun = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Delete POD (graceful, or --force: grace period 0, the risk explained first).

    A graceful delete leaves the pod Terminating until its kubelet has stopped it; --wait
    follows it until it is gone. A forced delete of a StatefulSet pod also needs --reason
    (confirm its node is down)."""
    from lightkube import ApiError

    from labctl.actions import workloads as actions
    from labctl.actions.kube import get_json

    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        target = get_json(client, "Pod", pod, namespace)
        node = None
        if node_name := (target.get("spec") or {}).get("nodeName"):
            try:
                node = get_json(client, "Node", node_name)
            except ApiError:
                node = None  # reported as "node not found" in the plan
        plan = actions.plan_pod_delete(target, node, force=force, wait=wait)
        run_plan(
            plan,
            actions.step_applier(client),
            yes=yes,
            dry_run=dry_run,
            force=force,
            reason=reason,
            timeout=timeout,
            retry_interval=1.0,
        )


@jobs.command("clean")
def clean_jobs(
    namespace: Annotated[
        str | None, typer.Option("-n", "--namespace", help="One namespace (default: all).")
    ] = None,
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than", metavar="AGE", help="Only jobs finished this long ago (30m, 12h, 7d)."
        ),
    ] = "1h",
    failed: Annotated[bool, typer.Option("--failed", help="Failed jobs too.")] = False,
    yes: Yes = False,
    dry_run: DryRun = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Delete completed (and with --failed, failed) Jobs and their pods."""
    from labctl.actions import workloads as actions
    from labctl.actions.kube import list_json

    try:
        age = actions.parse_age(older_than)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        found = list_json(client, "Job", namespace or "*")
        plan = actions.plan_jobs_clean(found, datetime.now(UTC), age, failed=failed)
        run_plan(plan, actions.step_applier(client), yes=yes, dry_run=dry_run)
