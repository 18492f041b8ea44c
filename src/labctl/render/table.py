"""The health report as a Rich table grouped by area, with a one-line summary.

Colour comes from Rich and only appears on a terminal; piped output is plain text.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from labctl.checks import Report, Status, UnknownResult
from labctl.render import RunInfo

# A table of 600 crash-looping pods helps nobody; JSON keeps them all.
MAX_PER_CHECK = 10
STYLES = {
    "critical": "bold red",
    "warning": "yellow",
    "info": "cyan",
    "unknown": "magenta",
    "ok": "green",
}


def print_table(
    report: Report, info: RunInfo, console: Console, max_per_check: int = MAX_PER_CHECK
) -> None:
    table = Table(show_header=True, header_style="bold", expand=False, pad_edge=False)
    table.add_column("AREA", no_wrap=True)
    table.add_column("SEVERITY", no_wrap=True)
    table.add_column("CHECK", no_wrap=True)
    table.add_column("PROBLEM / WHAT TO DO", overflow="fold")
    statuses = report.status_by_area
    for area in report.areas:
        status = statuses[area]
        findings = [f for f in report.findings if f.area == area]
        unknowns = [u for u in report.unknowns if u.area == area]
        area_cell = Text(f"{area}\n{status.value.upper()}", style=STYLES[status.value])
        if status is Status.OK:
            table.add_row(area_cell, Text("ok", style=STYLES["ok"]), "", "no problems found")
        shown: Counter[str] = Counter()
        for finding in findings:
            shown[finding.check_id] += 1
            if shown[finding.check_id] > max_per_check:
                continue
            problem = Text(finding.message)
            problem.append(f"\n-> {finding.hint}", style="dim")
            severity = Text(finding.severity.value, style=STYLES[finding.severity.value])
            table.add_row(area_cell, severity, finding.check_id, problem)
            area_cell = Text("")
        for check_id, count in shown.items():
            if count > max_per_check:
                more = f"... and {count - max_per_check} more (-o json lists every finding)"
                table.add_row(area_cell, "", check_id, Text(more, style="dim"))
        for unknown in _dedupe(unknowns):
            severity = Text("unknown", style=STYLES["unknown"])
            where = f"{unknown[1]}: " if unknown[1] else ""
            table.add_row(area_cell, severity, unknown[0], f"not checked: {where}{unknown[2]}")
            area_cell = Text("")
        table.add_section()
    console.print(table)
    when = info.taken_at.strftime("%Y-%m-%d %H:%M UTC")
    summary = Text(f"{report.summary()} (exit {report.exit_code}; {info.source}, {when})")
    summary.stylize(STYLES[_overall(report)])
    console.print(summary)


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
