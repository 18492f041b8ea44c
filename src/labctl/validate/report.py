"""Render a validation report: readable text grouped by validator, or JSON."""

from __future__ import annotations

import json
from typing import Any

from labctl.validate.runner import Report


def as_dict(report: Report) -> dict[str, Any]:
    return {
        "root": str(report.root),
        "exitCode": report.exit_code,
        "findings": report.findings,
        "loadSeconds": round(report.load_seconds, 3),
        "chartsChecked": report.charts_checked,
        "chartObjects": report.chart_objects,
        "notes": report.notes,
        "validators": [result.as_dict() for result in report.results],
    }


def as_json(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2)


def as_text(report: Report, verbose: bool = False) -> str:
    lines: list[str] = []
    if verbose:
        lines.append(f"loaded {report.root} in {report.load_seconds:.2f}s")
    for result in report.results:
        if result.missing:
            status = f"NOT RUN: {result.missing}"
        elif result.findings:
            status = f"{len(result.findings)} finding(s)"
        else:
            status = "ok"
        timing = f" ({result.seconds:.2f}s)" if verbose else ""
        lines.append(f"{result.validator}: {status}, {result.checked} checked{timing}")
        for finding in result.findings:
            label = f"[{finding.check}] " if finding.check else ""
            lines.append(f"  - {label}{finding.where}")
            lines.extend(f"      {line}" for line in finding.message.splitlines())
        lines.extend(f"  note: {note}" for note in result.notes)
    missing = report.missing
    summary = f"{report.findings} finding(s)"
    if report.charts_checked:
        summary += f"; {report.chart_objects} objects from charts checked"
    summary += "".join(f"; {note}" for note in report.notes)
    if missing:
        summary += "; not run: " + ", ".join(f"{m.tool} (install {m.package})" for m in missing)
    if report.unavailable:
        summary += f"; {len(report.unavailable)} chart(s) could not be had, so not checked"
    if verbose:
        total = report.load_seconds + sum(r.seconds for r in report.results)
        summary += f"; {total:.2f}s in all"
    lines.append(summary)
    return "\n".join(lines)
