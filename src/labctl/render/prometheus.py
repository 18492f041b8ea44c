"""The health report in Prometheus text exposition, for node-exporter's textfile collector.

Every check that ran exports a sample (0 when quiet), so an alert on
`labctl_health_findings > 0` resolves by itself once the problem is gone.
"""

from __future__ import annotations

from labctl.checks import Report, Status, all_checks
from labctl.render import RunInfo

AREA_VALUES = {Status.OK: 0, Status.WARNING: 1, Status.CRITICAL: 2, Status.UNKNOWN: 3}


def _labels(**labels: str) -> str:
    escaped = (
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels.items()
    )
    return "{" + ",".join(escaped) + "}"


def to_prometheus(report: Report, info: RunInfo) -> str:
    checks = {c.id: c for c in all_checks()}
    lines = [
        "# HELP labctl_health_area_status Health of an area: 0 ok, 1 warning, 2 critical, "
        "3 unknown (not checked).",
        "# TYPE labctl_health_area_status gauge",
    ]
    for area, status in report.status_by_area.items():
        lines.append(f"labctl_health_area_status{_labels(area=area)} {AREA_VALUES[status]}")
    lines += [
        "# HELP labctl_health_findings Objects a check found a problem with.",
        "# TYPE labctl_health_findings gauge",
    ]
    for run in report.runs:
        check = checks[run.check_id]
        labels = _labels(
            area=check.area, check_id=check.id, check=check.name, severity=check.severity.value
        )
        lines.append(f"labctl_health_findings{labels} {run.failed}")
    lines += [
        "# HELP labctl_health_check_unknown 1 if a check could not judge everything it needs.",
        "# TYPE labctl_health_check_unknown gauge",
    ]
    for run in report.runs:
        labels = _labels(area=checks[run.check_id].area, check_id=run.check_id)
        lines.append(f"labctl_health_check_unknown{labels} {int(run.unknown)}")
    lines += [
        "# HELP labctl_health_exit_code labctl health's exit code: 0 healthy, 1 warnings, "
        "2 critical, 3 some areas unknown.",
        "# TYPE labctl_health_exit_code gauge",
        f"labctl_health_exit_code {report.exit_code}",
        "# HELP labctl_health_snapshot_timestamp_seconds When the checked data was read.",
        "# TYPE labctl_health_snapshot_timestamp_seconds gauge",
        f"labctl_health_snapshot_timestamp_seconds {info.taken_at.timestamp():.0f}",
    ]
    return "\n".join(lines) + "\n"
