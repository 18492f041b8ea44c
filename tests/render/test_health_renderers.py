"""Renderers: the generated docs table is current, and each format is well formed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

from labctl.checks import all_checks, run_checks
from labctl.checks.fields import SHAPES
from labctl.cluster.snapshot import Snapshot
from labctl.render import RunInfo, render
from labctl.render.json_report import SCHEMA_VERSION
from labctl.render.markdown import END, START, checks_table, with_checks_table

ROOT = Path(__file__).parents[2]
INFO = RunInfo(source="test", taken_at=datetime(2026, 11, 26, 6, tzinfo=UTC), context="lab")


def test_docs_checks_table_is_current() -> None:
    doc = (ROOT / "docs" / "health.md").read_text()
    assert with_checks_table(doc) == doc, (
        "docs/health.md is out of date: run python -m labctl.render.markdown docs/health.md"
    )
    assert doc.count(START) == doc.count(END) == 1


def test_checks_table_has_a_row_per_check() -> None:
    rows = checks_table(all_checks()).splitlines()[2:]
    assert [r.split(" | ")[0].lstrip("| ") for r in rows] == [c.id for c in all_checks()]


def test_json_schema_version_is_1() -> None:
    doc = json.loads(render(run_checks(Snapshot()), INFO, "json"))
    assert SCHEMA_VERSION == 1 and doc["schemaVersion"] == 1
    assert doc["exitCode"] == 3 and doc["findings"] == []
    assert doc["takenAt"] == "2026-11-26T06:00:00Z"


def test_junit_reports_unknown_checks_as_errors() -> None:
    root = ET.fromstring(render(run_checks(Snapshot()), INFO, "junit").split("\n", 1)[1])
    cases = list(root.iter("testcase"))
    assert len(cases) == len(all_checks())
    assert all(c.find("error") is not None for c in cases)


def test_prometheus_escapes_and_exports_every_check() -> None:
    snap = Snapshot.load(ROOT / "examples" / "snapshots" / "homelab", shapes=SHAPES)
    text = render(run_checks(snap), INFO, "prometheus")
    samples = [line for line in text.splitlines() if line.startswith("labctl_health_findings{")]
    assert len(samples) == len(all_checks())
    assert "labctl_health_snapshot_timestamp_seconds 1795672800" in text


def test_table_shows_ten_findings_per_check_and_counts_the_rest() -> None:
    from rich.console import Console

    from labctl.checks import Finding, Report, Severity
    from labctl.render.table import print_table

    findings = [
        Finding(
            "LAB-201", "pod-crashloop", Severity.CRITICAL, "workloads", f"Pod/a/p{i}", f"p{i}", "h"
        )
        for i in range(15)
    ]
    console = Console(width=200, record=True)
    print_table(Report(findings=findings), INFO, console)
    text = console.export_text()
    assert "p9\n" in text.replace(" ", "").replace("│", "\n") and "p10" not in text
    assert "... and 5 more (-o json lists every finding)" in text
