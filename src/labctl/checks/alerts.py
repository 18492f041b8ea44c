"""Alertmanager: firing alerts, grouped by name and severity (Watchdog excluded)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from labctl.checks.model import Severity, Subject, Verdict, check
from labctl.cluster.snapshot import NotCollected, Obj, Snapshot

Results = Iterator[tuple[Subject, Verdict]]

ALERTS = "alertmanager/api-v2-alerts.json"
# Always-firing heartbeats from kube-prometheus-stack, not problems.
IGNORED = frozenset({"Watchdog", "InfoInhibitor"})


def firing_groups(snap: Snapshot) -> dict[tuple[str, str], list[Obj]]:
    """Active alerts by (alertname, severity)."""
    alerts = snap.read_extra(ALERTS)
    if not isinstance(alerts, list):
        raise NotCollected("alertmanager", snap.why_missing(ALERTS))
    grouped: dict[tuple[str, str], list[Obj]] = defaultdict(list)
    for alert in alerts:
        labels = alert.get("labels") or {}
        state = (alert.get("status") or {}).get("state", "active")
        if state != "active" or labels.get("alertname") in IGNORED:
            continue
        grouped[(labels.get("alertname", "?"), labels.get("severity", "none"))].append(alert)
    return grouped


def _describe(alertname: str, severity: str, alerts: list[Obj]) -> str:
    where = sorted(
        {
            (a.get("labels") or {}).get("namespace") or (a.get("labels") or {}).get("instance", "")
            for a in alerts
        }
        - {""}
    )
    scope = f" ({', '.join(where[:3])}{', ...' if len(where) > 3 else ''})" if where else ""
    summary = ((alerts[0].get("annotations") or {}).get("summary") or "").strip()
    tail = f": {summary}" if summary else ""
    plural = "s" if len(alerts) > 1 else ""
    return f"{len(alerts)} {severity} {alertname} alert{plural} firing{scope}{tail}"


def _firing(snap: Snapshot, critical: bool) -> Results:
    groups = firing_groups(snap)
    matched = False
    for (alertname, severity), alerts in sorted(groups.items()):
        if (severity == "critical") == critical:
            matched = True
            yield f"Alert/{alertname}", _describe(alertname, severity, alerts)
    if not matched:
        yield "Alertmanager", None


@check(
    "LAB-901",
    "alert-critical-firing",
    area="alerts",
    severity=Severity.CRITICAL,
    summary="Alerts with severity=critical are firing in Alertmanager.",
    hint="labctl alerts; follow the alert's runbook_url",
)
def alert_critical_firing(snap: Snapshot) -> Results:
    yield from _firing(snap, critical=True)


@check(
    "LAB-902",
    "alert-firing",
    area="alerts",
    severity=Severity.WARNING,
    summary="Alerts of other severities (warning, info, none) are firing in Alertmanager.",
    hint="labctl alerts; follow the alert's runbook_url",
)
def alert_firing(snap: Snapshot) -> Results:
    yield from _firing(snap, critical=False)
