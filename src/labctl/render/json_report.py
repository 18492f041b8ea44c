"""The health report as JSON with a versioned schema.

`schemaVersion` changes only when a field is removed or changes meaning; new fields may
appear in any version. Check ids and area names are stable (see `labctl.checks`).
"""

from __future__ import annotations

import json
from typing import Any

from labctl.checks import Report
from labctl.render import RunInfo

SCHEMA_VERSION = 1


def as_document(report: Report, info: RunInfo) -> dict[str, Any]:
    statuses = report.status_by_area
    return {
        "schemaVersion": SCHEMA_VERSION,
        "kind": "HealthReport",
        "source": info.source,
        "context": info.context,
        "takenAt": info.taken_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "exitCode": report.exit_code,
        "summary": report.summary(),
        "areas": {
            area: {
                "status": statuses[area].value,
                "findings": sum(1 for f in report.findings if f.area == area),
            }
            for area in report.areas
        },
        "findings": [
            {
                "checkId": f.check_id,
                "check": f.check_name,
                "severity": f.severity.value,
                "area": f.area,
                "object": f.object,
                "message": f.message,
                "hint": f.hint,
            }
            for f in report.findings
        ],
        "unknown": [
            {"checkId": u.check_id, "area": u.area, "object": u.object, "reason": u.reason}
            for u in report.unknowns
        ],
        "checks": [
            {"id": r.check_id, "evaluated": r.evaluated, "failed": r.failed, "unknown": r.unknown}
            for r in report.runs
        ],
    }


def to_json(report: Report, info: RunInfo) -> str:
    return json.dumps(as_document(report, info), indent=2) + "\n"
