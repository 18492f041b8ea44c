"""The health report for people: grouped by area, with a one-line summary.

Two layouts, chosen by the console's width. From `WIDE` columns up, one table (area,
severity, check, problem and what to do). Below it, popeye's layout for narrow terminals:
one heading per area, then one row per finding whose text wraps under itself, so a check id
or an object name is never split and nothing stacks in a narrow column. Piped output is as
wide as `COLUMNS` says (160 without it), like a terminal of that width; colour only appears
on a terminal.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from labctl.checks import Check, Finding, Report, Status, UnknownResult
from labctl.render import RunInfo

# A table of 600 crash-looping pods helps nobody; JSON keeps them all.
MAX_PER_CHECK = 10
WIDE = 120
PIPED_WIDTH = 160
STYLES = {
    "critical": "bold red",
    "warning": "yellow",
    "info": "cyan",
    "unknown": "magenta",
    "ok": "green",
}


def table_console(file: IO[str] | None = None) -> Console:
    """A console for reports: the terminal's width, else `COLUMNS`, else PIPED_WIDTH."""
    if file is None and sys.stdout.isatty():
        return Console()
    columns = os.environ.get("COLUMNS", "")
    width = int(columns) if columns.isdigit() and int(columns) > 0 else PIPED_WIDTH
    return Console(file=file, width=width) if file is not None else Console(width=width)


def print_table(
    report: Report, info: RunInfo, console: Console, max_per_check: int = MAX_PER_CHECK
) -> None:
    if console.width >= WIDE:
        _print_wide(report, console, max_per_check)
    else:
        _print_narrow(report, console, max_per_check)
    when = info.taken_at.strftime("%Y-%m-%d %H:%M UTC")
    summary = Text(f"{report.summary()} (exit {report.exit_code}; {info.source}, {when})")
    summary.stylize(STYLES[_overall(report)])
    console.print(summary)


Row = tuple[str, str, Text]  # severity, check id(s), what is wrong (and what to do)


def _rows(report: Report, area: str, max_per_check: int) -> list[Row]:
    rows: list[Row] = []
    shown: Counter[str] = Counter()
    findings: list[Finding] = [f for f in report.findings if f.area == area]
    for finding in findings:
        shown[finding.check_id] += 1
        if shown[finding.check_id] > max_per_check:
            continue
        problem = Text(finding.message)
        problem.append(f"\n-> {finding.hint}", style="dim")
        rows.append((finding.severity.value, finding.check_id, problem))
    for check_id, count in shown.items():
        if count > max_per_check:
            more = f"... and {count - max_per_check} more (-o json lists every finding)"
            rows.append(("", check_id, Text(more, style="dim")))
    for check_ids, obj, reason in _dedupe([u for u in report.unknowns if u.area == area]):
        where = f"{obj}: " if obj else ""
        first, _, others = check_ids.partition(",")
        also = f"(also {others.replace(',', ', ')}) " if others else ""
        rows.append(("unknown", first, Text(f"not checked: {also}{where}{reason}")))
    return rows


def _severity(value: str) -> Text:
    return Text(value, style=STYLES.get(value, ""))


def _print_wide(report: Report, console: Console, max_per_check: int) -> None:
    table = Table(show_header=True, header_style="bold", expand=False, pad_edge=False)
    table.add_column("AREA", no_wrap=True)
    table.add_column("SEVERITY", no_wrap=True)
    table.add_column("CHECK", no_wrap=True)
    table.add_column("PROBLEM / WHAT TO DO", overflow="fold")
    statuses = report.status_by_area
    for area in report.areas:
        status = statuses[area]
        area_cell = Text(f"{area} {status.value.upper()}", style=STYLES[status.value])
        rows = _rows(report, area, max_per_check)
        if status is Status.OK and not rows:
            table.add_row(area_cell, _severity("ok"), "", "no problems found")
        for severity, check_id, problem in rows:
            table.add_row(area_cell, _severity(severity), check_id, problem)
            area_cell = Text("")
        table.add_section()
    console.print(table)


def _print_narrow(report: Report, console: Console, max_per_check: int) -> None:
    statuses = report.status_by_area
    for area in report.areas:
        status = statuses[area]
        heading = Text(f"{area.upper()} ", style="bold")
        heading.append(status.value.upper(), style=STYLES[status.value])
        rows = _rows(report, area, max_per_check)
        if status is Status.OK and not rows:
            heading.append("  no problems found", style="dim")
        console.print(heading)
        if not rows:
            continue
        grid = Table.grid(padding=(0, 1), pad_edge=False)
        grid.add_column(width=1)
        grid.add_column(no_wrap=True, min_width=8)
        grid.add_column(no_wrap=True, min_width=7)
        # Lines break between words; only a word longer than the column (a 63-character
        # PVC name at 80 columns) is folded.
        grid.add_column(overflow="fold")
        for severity, check_id, problem in rows:
            grid.add_row("", _severity(severity), check_id, problem)
        _print_trimmed(console, grid)


def _print_trimmed(console: Console, renderable: Table) -> None:
    """Print without the spaces a grid pads each line with up to the console's width."""
    with console.capture() as captured:
        console.print(renderable)
    console.file.write("".join(f"{line.rstrip()}\n" for line in captured.get().splitlines()))


def print_checks_table(checks: list[Check], console: Console) -> None:
    """`labctl checks`: a table from WIDE columns up, else one row per check whose name and
    summary wrap under themselves (a name is never split)."""
    if console.width >= WIDE:
        table = Table(show_header=True, header_style="bold")
        for column in ("ID", "NAME", "AREA", "SEVERITY"):
            table.add_column(column, no_wrap=True)
        table.add_column("WHAT IT LOOKS FOR", overflow="fold")
        for c in checks:
            table.add_row(c.id, c.name, c.area, _severity(c.severity.value), c.summary)
        console.print(table)
        return
    grid = Table.grid(padding=(0, 1), pad_edge=False)
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True, min_width=8)
    grid.add_column(overflow="fold")
    for c in checks:
        text = Text(c.name, style="bold")
        text.append(f" ({c.area}) {c.summary}")
        grid.add_row(c.id, _severity(c.severity.value), text)
    _print_trimmed(console, grid)


def _dedupe(unknowns: list[UnknownResult]) -> list[tuple[str, str, str]]:
    """One row per distinct reason: seven pod checks missing pods.json say it once."""
    rows: dict[tuple[str, str], tuple[str, str, str]] = {}
    for unknown in unknowns:
        obj = unknown.object or ""
        key = (obj, unknown.reason)
        first = rows.get(key)
        check_ids = f"{first[0]},{unknown.check_id[4:]}" if first else unknown.check_id
        rows[key] = (check_ids, obj, unknown.reason)
    return list(rows.values())


def _overall(report: Report) -> str:
    return {0: "ok", 1: "warning", 2: "critical", 3: "unknown"}[report.exit_code]
