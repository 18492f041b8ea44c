"""The work behind `labctl health` and `labctl checks`, imported only when they run."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from labctl.checks import AREAS, Report, all_checks, run_checks
from labctl.checks.fields import SHAPES, sources_for
from labctl.cli.exit_codes import EXIT_CLUSTER
from labctl.cluster.snapshot import Snapshot
from labctl.render import FORMATS, RunInfo, render

if TYPE_CHECKING:
    from rich.console import Console

    from labctl.cluster.collect import CollectSettings


def settings(
    vault_namespace: str, vault_selector: str, alertmanager: str, kubelet_stats: bool
) -> CollectSettings:
    from labctl.cluster.collect import AlertmanagerLocation, CollectSettings, VaultLocation

    match = re.fullmatch(r"([a-z0-9-]+)/([a-z0-9-]+):(\d+)", alertmanager)
    if match is None:
        raise typer.BadParameter("expected NAMESPACE/SERVICE:PORT", param_hint="--alertmanager")
    return CollectSettings(
        vault=VaultLocation(namespace=vault_namespace, selector=vault_selector),
        alertmanager=AlertmanagerLocation(namespace=match[1], service=match[2], port=int(match[3])),
        kubelet_stats=kubelet_stats,
    )


def run_health(
    *,
    snapshot: Path | None,
    areas: list[str] | None,
    ignore: list[str],
    output: str,
    write: Path | None,
    kubeconfig: Path | None,
    context: str | None,
    timeout: float,
    settings: CollectSettings,
) -> int:
    if output not in FORMATS:
        raise typer.BadParameter(f"choose from {', '.join(FORMATS)}", param_hint="--output")
    unknown = set(areas or ()) - set(AREAS)
    if unknown:
        raise typer.BadParameter(
            f"unknown area {', '.join(sorted(unknown))}; areas: {', '.join(AREAS)}",
            param_hint="--only",
        )
    if snapshot is not None:
        try:
            snap = Snapshot.load(snapshot, shapes=SHAPES)
        except FileNotFoundError as error:
            raise typer.BadParameter(str(error), param_hint="--snapshot") from error
        info = RunInfo(source=str(snapshot), taken_at=snap.taken_at, context=snap.context)
    else:
        snap = _collect(kubeconfig, context, timeout, settings, sources_for(areas))
        info = RunInfo(source="live", taken_at=snap.taken_at, context=snap.context)
    try:
        report = run_checks(snap, areas=areas, ignore=ignore)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    _emit(report, info, output, write)
    return report.exit_code


def _collect(
    kubeconfig: Path | None,
    context: str | None,
    timeout: float,
    settings: CollectSettings,
    sources: frozenset[str] | None = None,
) -> Snapshot:
    from labctl.cluster.client import ClusterError, ClusterTarget
    from labctl.cluster.collect import collect

    target = ClusterTarget(kubeconfig=kubeconfig, context=context, timeout=timeout)
    try:
        return collect(target, settings, sources)
    except ClusterError as error:
        from rich.console import Console

        Console(stderr=True).print(f"[red]error:[/red] {error}")
        raise typer.Exit(EXIT_CLUSTER) from error


def _emit(report: Report, info: RunInfo, output: str, write: Path | None) -> None:
    if output == "table":
        from rich.console import Console

        if write is not None:
            with write.open("w") as handle:
                _print_table(report, info, Console(file=handle, width=160))
            return
        console = Console() if sys.stdout.isatty() else Console(width=160)
        _print_table(report, info, console)
        return
    text = render(report, info, output)
    if write is None:
        sys.stdout.write(text)
        return
    tmp = write.with_name(f".{write.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, write)  # the textfile collector must never read half a file


def _print_table(report: Report, info: RunInfo, console: Console) -> None:
    from labctl.render.table import print_table

    print_table(report, info, console)


def print_checks(output: str) -> None:
    checks = all_checks()
    if output == "json":
        rows = [
            {
                "id": c.id,
                "name": c.name,
                "area": c.area,
                "severity": c.severity.value,
                "summary": c.summary,
                "hint": c.hint,
            }
            for c in checks
        ]
        sys.stdout.write(json.dumps({"schemaVersion": 1, "checks": rows}, indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    for column in ("ID", "NAME", "AREA", "SEVERITY", "WHAT IT LOOKS FOR"):
        table.add_column(column, overflow="fold")
    for c in checks:
        table.add_row(c.id, c.name, c.area, c.severity.value, c.summary)
    (Console() if sys.stdout.isatty() else Console(width=160)).print(table)


def save_snapshot(
    folder: Path,
    kubeconfig: Path | None,
    context: str | None,
    timeout: float,
    settings: CollectSettings,
) -> int:
    from rich.console import Console

    snap = _collect(kubeconfig, context, timeout, settings)
    snap.save(folder)
    console = Console(stderr=True)
    console.print(f"saved {len(snap.resources)} kinds and {len(snap.extras)} extras to {folder}")
    for source, reason in sorted(snap.gaps.items()):
        console.print(f"[yellow]not collected[/yellow] {source}: {reason}")
    return 3 if snap.gaps else 0
