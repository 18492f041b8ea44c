"""Output renderers for health reports: table, json, junit, prometheus.

Every renderer takes a `labctl.checks.Report` and a `RunInfo` (where the data came from) and
returns text, except `table`, which prints to a Rich console. Other commands (troubleshoot,
recover) reuse them through `render(report, info, fmt)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labctl.checks import Report

FORMATS = ("table", "json", "junit", "prometheus")


@dataclass(frozen=True)
class RunInfo:
    """Where a report's data came from: a live context or a snapshot folder, and when."""

    source: str
    taken_at: datetime
    context: str | None = None


def render(report: Report, info: RunInfo, fmt: str) -> str:
    """The report as json, junit or prometheus text."""
    if fmt == "json":
        from labctl.render.json_report import to_json

        return to_json(report, info)
    if fmt == "junit":
        from labctl.render.junit import to_junit

        return to_junit(report, info)
    if fmt == "prometheus":
        from labctl.render.prometheus import to_prometheus

        return to_prometheus(report, info)
    raise ValueError(f"unknown output format {fmt!r}; choose from {', '.join(FORMATS)}")


__all__ = ["FORMATS", "RunInfo", "render"]
