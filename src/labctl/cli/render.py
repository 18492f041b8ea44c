"""`labctl init`, `labctl render` and `labctl bootstrap`: from one cluster.yaml to a running
platform.

Exit codes (`labctl.cli.exit_codes`): 0 done; 1 a step failed, a file could not be written, or
`render --check` found the tree out of date; 3 the file exists (init) or the plan was not
confirmed (bootstrap); 4 the cluster could not be reached; 5 timed out waiting; 64 usage (`-o`
names a file, init's folder does not exist); 65 cluster.yaml is not valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labctl.cli._ops import (
    EXIT_FAILED,
    EXIT_REFUSED,
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

ConfigPath = Annotated[Path, typer.Argument(metavar="CONFIG", help="The cluster.yaml to read.")]


def init(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="Where to write it.")] = Path(
        "cluster.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented cluster.yaml (example.com, documentation IP ranges) to edit."""
    from labctl.config.template import example_text

    if not path.parent.is_dir():
        raise typer.BadParameter(f"the folder {path.parent} does not exist", param_hint="FILE")
    if path.exists() and not force:
        err(f"{path} exists; use --force to overwrite it")
        raise typer.Exit(EXIT_REFUSED)
    try:
        path.write_text(example_text(), encoding="utf-8")
    except OSError as error:
        err(f"cannot write {path}: {error.strerror}")
        raise typer.Exit(EXIT_FAILED) from None
    typer.echo(f"wrote {path}: edit it, then run `labctl render {path} -o DIR`")


def render(
    config: ConfigPath,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", metavar="DIR", help="Directory of the rendered tree."),
    ] = Path("rendered"),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if the tree is out of date.")
    ] = False,
) -> None:
    """Render the GitOps tree (Argo CD Applications, manifests, Vault spec, kubeadm) from CONFIG."""
    from labctl.config.load import ConfigError, load_config
    from labctl.platform import render as platform

    if output.exists() and not output.is_dir():
        raise typer.BadParameter(f"{output} is a file; give a directory", param_hint="--output")
    try:
        cluster = load_config(config)
    except ConfigError as error:
        err(str(error))
        raise typer.Exit(error.exit_code) from None
    if check:
        stale = platform.stale(cluster, output)
        for rel in stale:
            typer.echo(f"out of date: {output / rel}")
        typer.echo(f"{output}: {'up to date' if not stale else f'{len(stale)} file(s) differ'}")
        raise typer.Exit(EXIT_FAILED if stale else 0)
    try:
        result = platform.render(cluster, output)
    except OSError as error:
        err(f"cannot write the tree: {error.strerror}: {error.filename}")
        raise typer.Exit(EXIT_FAILED) from None
    total = len(result.written) + len(result.unchanged)
    typer.echo(
        f"{output}: {total} files ({len(result.written)} written, "
        f"{len(result.unchanged)} unchanged, {len(result.removed)} removed)"
    )


def bootstrap(
    tree: Annotated[
        Path, typer.Argument(metavar="DIR", help="The rendered tree (labctl render -o DIR).")
    ],
    yes: Yes = False,
    dry_run: DryRun = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", metavar="SECONDS", help="Seconds to wait for Argo CD and the sync."
        ),
    ] = 1800.0,
    poll: Annotated[float, typer.Option(hidden=True)] = 10.0,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Install Calico (cni: calico) and Argo CD via Helm Jobs, then the root; wait for sync."""
    from labctl.platform import bootstrap as actions

    with errors_to_exit_codes():
        layout = actions.read_tree(tree)
        client = connect_to(kubeconfig, context, request_timeout)
        existing, running = actions.read_existing(client, layout)
        plan = actions.plan_bootstrap(layout, existing, running, actions.calico_running(client))
        apply = actions.step_applier(client)
        with actions.installer_cleanup(client, plan, err):
            run_plan(plan, apply, yes=yes, dry_run=dry_run, timeout=timeout, retry_interval=poll)
