"""`labctl validate DIR`: check a rendered GitOps tree (schemas, rules, policy, references,
the sync order), with `--charts` over the objects its Helm charts render too.

Exit codes (docs/validate.md): 0 clean, 1 findings, 64 bad usage (a missing directory, an
unknown validator or output, an unreadable --kubernetes-version), 69 part of the tree was not
checked (a tool or a chart was missing; the message names it).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from labctl.cli._ops import EXIT_USAGE

if TYPE_CHECKING:
    from labctl.validate.runner import Progress

VALIDATORS_HELP = (
    "kubernetes-schema, crd-schema, cross-reference, argocd-sync, promtool, amtool, policy "
    "(repeatable)"
)
KUBE_VERSION = re.compile(r"^v?1\.\d+(\.\d+)?$")


def _usage(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


@contextmanager
def _progress() -> Iterator[Progress | None]:
    """A spinner naming the running validator, on a terminal only (nothing when piped)."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal or not sys.stderr.isatty():
        yield None
        return
    with console.status("loading the tree") as status:
        yield lambda name: status.update(f"validate: {name}")


def validate(
    directory: Annotated[
        Path,
        typer.Argument(metavar="DIR", exists=True, file_okay=False, help="The rendered tree."),
    ],
    output: Annotated[
        str,
        typer.Option(
            "-o", "--output", metavar="FORMAT", help="text (grouped by validator) or json."
        ),
    ] = "text",
    verbose: Annotated[
        bool, typer.Option("-v", "--verbose", help="Show timings per validator.")
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="VALIDATOR", help=f"Run only these: {VALIDATORS_HELP}."),
    ] = None,
    skip: Annotated[
        list[str] | None, typer.Option("--skip", metavar="VALIDATOR", help="Skip these.")
    ] = None,
    kubernetes_version: Annotated[
        str | None,
        typer.Option(
            "--kubernetes-version",
            help="Validate for this version, e.g. 1.34 or v1.34.2 (default: the tree's kubeadm "
            "ClusterConfiguration, else the newest schemas shipped).",
        ),
    ] = None,
    policy_exceptions: Annotated[
        Path | None,
        typer.Option(
            "--policy-exceptions", metavar="FILE", help="Use this exceptions file for checkov."
        ),
    ] = None,
    charts: Annotated[
        bool,
        typer.Option(
            "--charts", help="Render every Application's Helm charts and check their objects."
        ),
    ] = False,
    chart_dir: Annotated[
        Path | None,
        typer.Option(
            "--chart-dir",
            exists=True,
            file_okay=False,
            help="Charts as `helm pull --untar` leaves them (NAME-VERSION/ or NAME/); charts "
            "not there are pulled from their repository when online.",
        ),
    ] = None,
) -> None:
    """Validate a rendered tree; exit 0 clean, 1 findings, 64 usage, 69 not all checked."""
    from labctl.validate import report as render
    from labctl.validate.runner import Options, run

    if output not in ("text", "table", "json"):
        raise _usage(f"unknown output {output!r}: use text or json")
    if kubernetes_version is not None and not KUBE_VERSION.match(kubernetes_version):
        raise _usage(
            f"--kubernetes-version {kubernetes_version!r} is not a Kubernetes version "
            "(use MAJOR.MINOR or vMAJOR.MINOR.PATCH, e.g. 1.34 or v1.34.2)"
        )
    if chart_dir is not None and not charts:
        raise _usage("--chart-dir needs --charts")
    options = Options(
        kubernetes_version=kubernetes_version,
        policy_exceptions=policy_exceptions,
        only=tuple(only or ()),
        skip=tuple(skip or ()),
        charts=charts,
        chart_dir=chart_dir,
    )
    try:
        with _progress() as progress:
            result = run(directory, options, progress)
    except ValueError as exc:
        raise _usage(str(exc)) from exc
    if output == "json":
        typer.echo(render.as_json(result))
    else:
        typer.echo(render.as_text(result, verbose=verbose))
    for missing in result.missing:
        typer.echo(f"error: {missing}", err=True)
    for unavailable in result.unavailable:
        typer.echo(f"error: {unavailable}", err=True)
    raise typer.Exit(result.exit_code)
