"""The `labctl` entry point.

Sub-command groups register here. Each group module imports its heavy dependencies inside
the command bodies, so `labctl --help` stays fast.
"""

from __future__ import annotations

import typer

from labctl import __version__
from labctl.cli import (
    alerts,
    argocd,
    backup,
    db,
    health,
    node,
    recover,
    render,
    snapshot,
    troubleshoot,
    validate,
    vault,
    workloads,
)

app = typer.Typer(
    name="labctl",
    help="The homelab runbook as a program: render, check, back up, restore, drain, recover.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"labctl {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """labctl: the homelab runbook as a program."""


app.add_typer(node.app, name="node")
app.add_typer(argocd.app, name="argocd")
app.add_typer(vault.app, name="vault")
app.command("health")(health.health)
app.command("checks")(health.list_checks)
app.add_typer(snapshot.app, name="snapshot")
app.command("restart")(workloads.restart)
app.command("scale")(workloads.scale)
app.add_typer(workloads.pods, name="pods")
app.add_typer(workloads.jobs, name="jobs")
app.add_typer(troubleshoot.app, name="troubleshoot")
app.command("alerts")(alerts.alerts)
app.command("recover")(recover.recover)
app.add_typer(backup.app, name="backup")
app.add_typer(db.app, name="db")
app.command("init")(render.init)
app.command("render")(render.render)
app.command("bootstrap")(render.bootstrap)
app.command("validate")(validate.validate)


def run() -> None:
    app()
