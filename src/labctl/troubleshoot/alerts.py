"""Firing alerts from Alertmanager's API v2, read through the API server's service proxy
(the runbook's `kubectl get --raw .../alertmanager-operated:9093/proxy/api/v2/alerts | jq`),
grouped by name and severity with the health checks' grouping (Watchdog excluded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from labctl.troubleshoot import reads

if TYPE_CHECKING:
    from lightkube import Client

    from labctl.cluster.collect import AlertmanagerLocation


class AlertmanagerUnreachable(Exception):
    """The proxy answered, but not with Alertmanager's alert list."""


@dataclass(frozen=True)
class AlertGroup:
    alertname: str
    severity: str
    firing: int
    where: str
    since: str
    summary: str


def read_alerts(client: Client, where: AlertmanagerLocation) -> list[dict[str, Any]]:
    from labctl.cluster.client import proxy_get, service_proxy_path

    path = service_proxy_path(
        where.namespace, where.service, where.port, "api/v2/alerts", where.scheme
    )
    response = proxy_get(client, path)
    if response.status != 200:
        try:
            detail = response.json().get("message") or ""
        except (ValueError, AttributeError):
            detail = response.body.decode("utf-8", "replace")[:200]
        raise AlertmanagerUnreachable(
            f"Alertmanager answered {response.status} through {path}: {detail}".rstrip(": ")
        )
    alerts = response.json()
    if not isinstance(alerts, list):
        raise AlertmanagerUnreachable(f"{path} did not answer a list of alerts")
    return alerts


def group_alerts(alerts: list[dict[str, Any]], now: datetime) -> list[AlertGroup]:
    """Active alerts by (alertname, severity), critical first."""
    from labctl.checks.alerts import ALERTS, firing_groups
    from labctl.cluster.snapshot import Snapshot

    groups = firing_groups(Snapshot(extras={ALERTS: alerts}))
    rows = []
    for (alertname, severity), members in groups.items():
        labels = [m.get("labels") or {} for m in members]
        where = sorted({lab.get("namespace") or lab.get("instance") or "" for lab in labels} - {""})
        started = min((str(m.get("startsAt") or "") for m in members), default="")
        summary = ((members[0].get("annotations") or {}).get("summary") or "").strip()
        rows.append(
            AlertGroup(
                alertname,
                severity,
                len(members),
                ", ".join(where[:3]) + (", ..." if len(where) > 3 else ""),
                reads.age(started, now),
                summary,
            )
        )
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(rows, key=lambda g: (order.get(g.severity, 3), g.alertname))
