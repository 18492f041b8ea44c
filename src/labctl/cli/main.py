"""The `labctl` entry point.

Sub-command groups register here. Each group module imports its heavy dependencies inside
the command bodies, so `labctl --help` stays fast.
"""

from __future__ import annotations

import copy
import sys

import typer

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
        from labctl import __version__

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
app.command("health", cls=health.NagiosCommand)(health.health)
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
    _app_for(sys.argv[1:])()


def _app_for(args: list[str]) -> typer.Typer:
    """`app`, or a copy holding only the command `args` starts with.

    Typer builds every registered command (signatures, options, their validators) before it
    parses anything: ~35 ms of CPU for 40 commands when one runs. The copy has the same
    callback and options, so `labctl health ...` parses, helps and fails exactly as before;
    anything else (`--help`, `--version`, a typo, shell completion) gets the whole app.
    """
    name = args[0] if args else ""
    commands = [c for c in app.registered_commands if c.name == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    lean = copy.copy(app)
    lean.registered_commands, lean.registered_groups = commands, groups
    return lean
