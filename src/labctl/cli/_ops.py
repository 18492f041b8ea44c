"""What the operations commands (node, argocd, workloads, troubleshoot, alerts, recover) share.

kubectl-like flags, one translation of errors into messages and exit codes (the table is in
`labctl.cli.exit_codes`), the plan flow (show, authorize, execute with progress), and
table/json/yaml output. Two timeouts, one meaning each in every command: `--request-timeout`
bounds each API call, `--timeout` the whole wait for something to happen.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

# Re-exported: the commands take their exit codes from here.
from labctl.cli.exit_codes import EXIT_CLUSTER as EXIT_CLUSTER
from labctl.cli.exit_codes import EXIT_FAILED as EXIT_FAILED
from labctl.cli.exit_codes import EXIT_REFUSED as EXIT_REFUSED
from labctl.cli.exit_codes import EXIT_TIMEOUT as EXIT_TIMEOUT
from labctl.cli.exit_codes import EXIT_USAGE as EXIT_USAGE

if TYPE_CHECKING:
    from lightkube import Client

    from labctl.actions.plan import Plan, Step

Kubeconfig = Annotated[
    Path | None,
    typer.Option("--kubeconfig", metavar="FILE", help="Path to the kubeconfig file."),
]
Context = Annotated[
    str | None, typer.Option("--context", metavar="NAME", help="The kubeconfig context to use.")
]
Namespace = Annotated[
    str, typer.Option("-n", "--namespace", metavar="NAMESPACE", help="The namespace.")
]
Output = Annotated[
    str, typer.Option("-o", "--output", metavar="FORMAT", help="table, json or yaml.")
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Apply the plan without asking.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show the plan and change nothing.")]
Force = Annotated[
    bool, typer.Option("--force", help="Override the plan's refusals (needs --reason).")
]
Reason = Annotated[
    str | None, typer.Option("--reason", help="Why the refusals are overridden (recorded).")
]
RequestTimeout = Annotated[
    float,
    typer.Option("--request-timeout", metavar="SECONDS", help="Seconds to wait for each API call."),
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
    return _confirm


def _confirm(question: str) -> bool:
    try:
        return typer.confirm(question)
    except typer.Abort:
        return False  # Ctrl-D at the prompt is a "no": not confirmed (3), not a failure (1)


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
    """Rows as a table (the given columns), or every field as JSON or YAML (camelCase keys, as
    the Kubernetes API and `labctl health -o json` write them)."""
    if output == "json":
        typer.echo(to_json(list(rows)))
    elif output == "yaml":
        import yaml

        typer.echo(yaml.safe_dump(camel_keys(list(rows)), sort_keys=False).rstrip())
    elif output == "table":
        typer.echo(table(rows, columns))
    else:
        raise typer.BadParameter(f"unknown output {output!r}: use table, json or yaml")


def to_json(data: Any) -> str:
    """JSON as every command prints it: camelCase keys, indented, anything else as a string."""
    return json.dumps(camel_keys(data), indent=2, default=str)


def camel_keys(data: Any) -> Any:
    """Records with their field names in camelCase (`valid_until` -> `validUntil`), as the
    Kubernetes API writes them, and the lists of records inside them too. A mapping inside a
    record is data (labels, rows per table) and keeps its keys."""
    if isinstance(data, list | tuple):
        return [camel_keys(item) for item in data]
    if isinstance(data, dict):
        return {_camel(str(key)): _inner(value) for key, value in data.items()}
    return data


def _inner(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [camel_keys(item) if isinstance(item, dict) else item for item in value]
    return value


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A plain aligned table (kubectl style), stable for tests and pipes."""
    cells = [[c.upper() for c in columns]]
    cells += [["" if r.get(c) is None else str(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    return "\n".join(
        "   ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )
