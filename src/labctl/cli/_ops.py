"""What the operations commands (node, argocd, workloads, troubleshoot, alerts, recover) share.

kubectl-like flags, one translation of errors into messages and exit codes, the plan flow
(show, authorize, execute with progress), and table/json/yaml output. Exit codes:

    0  done, or nothing to do
    1  the action ran and failed (a step failed, a sync ended Failed, a person is needed)
    2  usage error (Typer)
    3  refused or not confirmed: nothing was changed
    4  the cluster could not be reached or answered with an error (403, 500, timeout)
    5  timed out waiting (a PDB kept blocking, a controller did not act)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from lightkube import Client

    from labctl.actions.plan import Plan, Step

EXIT_FAILED, EXIT_REFUSED, EXIT_CLUSTER, EXIT_TIMEOUT = 1, 3, 4, 5

Kubeconfig = Annotated[
    Path | None, typer.Option("--kubeconfig", help="Path to the kubeconfig file.")
]
Context = Annotated[str | None, typer.Option("--context", help="The kubeconfig context to use.")]
Namespace = Annotated[str, typer.Option("-n", "--namespace", help="The namespace.")]
Output = Annotated[str, typer.Option("-o", "--output", help="table, json or yaml.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Apply the plan without asking.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show the plan and change nothing.")]
Force = Annotated[
    bool, typer.Option("--force", help="Override the plan's refusals (needs --reason).")
]
Reason = Annotated[
    str | None, typer.Option("--reason", help="Why the refusals are overridden (recorded).")
]
RequestTimeout = Annotated[
    float, typer.Option("--request-timeout", help="Seconds to wait for each API call.")
]


def err(message: str) -> None:
    typer.echo(message, err=True)


def connect_to(kubeconfig: Path | None, context: str | None, timeout: float = 10.0) -> Client:
    from labctl.actions.kube import relay_warnings
    from labctl.cluster.client import ClusterTarget, connect

    client = connect(ClusterTarget(kubeconfig=kubeconfig, context=context, timeout=timeout))
    relay_warnings(client, err)  # the API server's Warning headers, shown as kubectl does
    return client


@contextmanager
def errors_to_exit_codes() -> Iterator[None]:
    """Turn the errors of cluster access and plans into a message on stderr and an exit code."""
    import httpx2
    from lightkube import ApiError

    from labctl.actions.kube import api_error_message
    from labctl.actions.plan import ActionFailed, PlanRefused, PlanTimeout
    from labctl.cluster.client import ClusterError

    try:
        yield
    except PlanRefused as error:
        _exit(str(error), EXIT_REFUSED)
    except PlanTimeout as error:
        _exit(str(error), EXIT_TIMEOUT)
    except ActionFailed as error:
        _exit(f"failed: {error}", EXIT_FAILED)
    except ApiError as error:
        _exit(f"API error: {api_error_message(error)}", EXIT_CLUSTER)
    except httpx2.TimeoutException:
        _exit("timed out waiting for the API server (see --request-timeout)", EXIT_CLUSTER)
    except httpx2.HTTPError as error:
        _exit(f"cannot reach the API server: {error}", EXIT_CLUSTER)
    except ClusterError as error:
        _exit(str(error), EXIT_CLUSTER)


def _exit(message: str, code: int) -> None:
    err(message)
    raise typer.Exit(code)


def terminal_ask() -> Callable[[str], bool] | None:
    """A yes/no prompt when stdin is a terminal; None (so plans need --yes) in CI or a pipe."""
    if not sys.stdin.isatty():
        return None
    return lambda question: typer.confirm(question)


def run_plan(
    plan: Plan,
    apply: Callable[[Step], str | None],
    *,
    yes: bool,
    dry_run: bool = False,
    force: bool = False,
    reason: str | None = None,
    timeout: float | None = None,
    retry_interval: float = 5.0,
) -> list[tuple[Step, str]]:
    """Print the plan; unless a dry run, authorize it and execute it with progress on stderr."""
    from labctl.actions.plan import Executor, authorize, render_plan

    typer.echo(render_plan(plan))
    if dry_run:
        if plan.refused:
            raise typer.Exit(EXIT_REFUSED)
        return []
    authorize(plan, yes=yes, force=force, reason=reason, ask=terminal_ask())
    if plan.refused:
        err(f"refusals overridden with --force: {reason}")

    def progress(step: Step, message: str) -> None:
        number = next(i for i, s in enumerate(plan.steps, 1) if s is step)
        err(f"[{number}/{len(plan.steps)}] {step.verb} {step.target}: {message}")

    executor = Executor(apply, progress, timeout=timeout, retry_interval=retry_interval)
    return executor.run(plan)


def emit(rows: Sequence[dict[str, Any]], output: str, columns: Sequence[str]) -> None:
    """Rows as a table (the given columns), or every field as JSON or YAML."""
    if output == "json":
        typer.echo(json.dumps(list(rows), indent=2, default=str))
    elif output == "yaml":
        import yaml

        typer.echo(yaml.safe_dump(list(rows), sort_keys=False).rstrip())
    elif output == "table":
        typer.echo(table(rows, columns))
    else:
        raise typer.BadParameter(f"unknown output {output!r}: use table, json or yaml")


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A plain aligned table (kubectl style), stable for tests and pipes."""
    cells = [[c.upper() for c in columns]]
    cells += [["" if r.get(c) is None else str(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    return "\n".join(
        "   ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )
