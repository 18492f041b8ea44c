"""The work behind `labctl health` and `labctl checks`, imported only when they run."""

from __future__ import annotations

import gc
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from labctl.checks import AREAS, Report, all_checks, run_checks
from labctl.checks.fields import SHAPES, sources_for
from labctl.cli.exit_codes import EXIT_CLUSTER, EXIT_USAGE
from labctl.cluster.snapshot import NotASnapshot, Snapshot
from labctl.render import FORMATS, RunInfo, render

if TYPE_CHECKING:
    from rich.console import Console

    from labctl.cluster.collect import CollectSettings


def settings(
    vault_namespace: str,
    vault_selector: str,
    alertmanager: str,
    kubelet_stats: bool,
    vault_scheme: str = "http",
) -> CollectSettings:
    from labctl.cluster.collect import AlertmanagerLocation, CollectSettings, VaultLocation

    match = re.fullmatch(r"([a-z0-9-]+)/([a-z0-9-]+):(\d+)", alertmanager)
    if match is None:
        raise typer.BadParameter("expected NAMESPACE/SERVICE:PORT", param_hint="--alertmanager")
    if vault_scheme not in ("http", "https"):
        raise typer.BadParameter("choose http or https", param_hint="--vault-scheme")
    scheme = "" if vault_scheme == "http" else vault_scheme  # the proxy path's default is http
    return CollectSettings(
        vault=VaultLocation(namespace=vault_namespace, selector=vault_selector, scheme=scheme),
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
    with _no_cyclic_gc():
        report, info = _judge(snapshot, areas, ignore, kubeconfig, context, timeout, settings)
    _emit(report, info, output, write)
    return report.exit_code


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """A 30,000-pod snapshot is millions of live objects and no reference cycles worth
    collecting: the cyclic collector's repeated full passes cost 0.9 s of 2.1 s."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _judge(
    snapshot: Path | None,
    areas: list[str] | None,
    ignore: list[str],
    kubeconfig: Path | None,
    context: str | None,
    timeout: float,
    settings: CollectSettings,
) -> tuple[Report, RunInfo]:
    if snapshot is not None:
        try:
            snap = Snapshot.load(snapshot, shapes=SHAPES)
        except (FileNotFoundError, NotASnapshot) as error:
            raise typer.BadParameter(str(error), param_hint="--snapshot") from error
        info = RunInfo(source=str(snapshot), taken_at=snap.taken_at, context=snap.context)
    else:
        snap = _collect(kubeconfig, context, timeout, settings, sources_for(areas))
        info = RunInfo(source="live", taken_at=snap.taken_at, context=snap.context)
    try:
        return run_checks(snap, areas=areas, ignore=ignore), info
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error


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
        _fail(str(error), EXIT_CLUSTER)
        raise  # unreachable: _fail exits


def _fail(message: str, code: int) -> None:
    from rich.console import Console
    from rich.markup import escape

    one_line = " ".join(message.split())  # a YAML error spans lines; a message does not
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {escape(one_line)}")
    raise typer.Exit(code)


def _emit(report: Report, info: RunInfo, output: str, write: Path | None) -> None:
    if output == "table":
        from labctl.render.table import table_console

        if write is None:
            _print_table(report, info, table_console())
            return
        from io import StringIO

        buffer = StringIO()
        _print_table(report, info, table_console(buffer))
        text = buffer.getvalue()
    else:
        text = render(report, info, output)
    if write is None:
        sys.stdout.write(text)
        return
    tmp = write.with_name(f".{write.name}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, write)  # the textfile collector must never read half a file
    except OSError as error:
        tmp.unlink(missing_ok=True)
        _fail(f"cannot write {write}: {error.strerror or error}", EXIT_USAGE)


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
    from labctl.render.table import print_checks_table, table_console

    print_checks_table(checks, table_console())


def save_snapshot(
    folder: Path,
    kubeconfig: Path | None,
    context: str | None,
    timeout: float,
    settings: CollectSettings,
) -> int:
    from rich.console import Console

    from labctl.cli.exit_codes import EXIT_FAILED

    snap = _collect(kubeconfig, context, timeout, settings)
    try:
        snap.save(folder)
    except OSError as error:
        _fail(f"cannot write the snapshot to {folder}: {error.strerror or error}", EXIT_FAILED)
    console = Console(stderr=True)
    console.print(f"saved {len(snap.resources)} kinds and {len(snap.extras)} extras to {folder}")
    for source, reason in sorted(snap.gaps.items()):
        console.print(f"[yellow]not collected[/yellow] {source}: {reason}")
    return 3 if snap.gaps else 0
