"""`labctl validate DIR`: check a rendered GitOps tree (schemas, rules, policy, references).

Exit codes: 0 clean, 1 findings, 2 a validator could not run (a tool is missing; the message
names the package), 3 bad usage (e.g. an unknown validator name).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

VALIDATORS_HELP = (
    "kubernetes-schema, crd-schema, cross-reference, promtool, amtool, policy (repeatable)"
)


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
            help="Validate core objects for this version (default: the tree's kubeadm "
            "ClusterConfiguration, else the newest schemas shipped).",
        ),
    ] = None,
    policy_exceptions: Annotated[
        Path | None,
        typer.Option(
            "--policy-exceptions", metavar="FILE", help="Use this exceptions file for checkov."
        ),
    ] = None,
) -> None:
    """Validate a rendered tree; exit 0 clean, 1 findings, 2 a tool is missing."""
    from labctl.validate import report as render
    from labctl.validate.runner import Options, run

    if output not in ("text", "table", "json"):
        typer.echo(f"unknown output {output!r}: use text or json", err=True)
        raise typer.Exit(3)
    options = Options(
        kubernetes_version=kubernetes_version,
        policy_exceptions=policy_exceptions,
        only=tuple(only or ()),
        skip=tuple(skip or ()),
    )
    try:
        result = run(directory, options)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(3) from exc
    if output == "json":
        typer.echo(render.as_json(result))
    else:
        typer.echo(render.as_text(result, verbose=verbose))
    for missing in result.missing:
        typer.echo(f"error: {missing}", err=True)
    raise typer.Exit(result.exit_code)
