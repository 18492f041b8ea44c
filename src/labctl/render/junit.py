"""The health report as JUnit XML: a test suite per area, a test case per check.

A finding is a `<failure>`; a check that could not run (missing data) is an `<error>`, so CI
never shows an unchecked area as passed.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from labctl.checks import Report, all_checks
from labctl.render import RunInfo


def to_junit(report: Report, info: RunInfo) -> str:
    checks = {c.id: c for c in all_checks()}
    root = ET.Element("testsuites", name="labctl health", timestamp=_stamp(info))
    for area in report.areas:
        runs = [r for r in report.runs if checks[r.check_id].area == area]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=area,
            tests=str(len(runs)),
            failures=str(sum(1 for r in runs if r.failed)),
            errors=str(sum(1 for r in runs if r.unknown and not r.failed)),
            timestamp=_stamp(info),
        )
        for run in runs:
            check = checks[run.check_id]
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"labctl.health.{area}",
                name=f"{check.id} {check.name}",
            )
            findings = [f for f in report.findings if f.check_id == check.id]
            if findings:
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=f"{len(findings)} {check.severity.value}: {findings[0].message}",
                    type=check.severity.value,
                )
                failure.text = "\n".join(f"{f.object}: {f.message} ({f.hint})" for f in findings)
            unknown = [u for u in report.unknowns if u.check_id == check.id]
            if unknown and not findings:
                error = ET.SubElement(case, "error", message="not checked", type="unknown")
                error.text = "\n".join(f"{u.object or area}: {u.reason}" for u in unknown)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _stamp(info: RunInfo) -> str:
    return info.taken_at.strftime("%Y-%m-%dT%H:%M:%S")
