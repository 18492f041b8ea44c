"""Grafana dashboards as data (platform and TaskApp), shipped as labelled ConfigMaps that the
Grafana sidecar of kube-prometheus-stack loads (`grafana_dashboard: "1"`).
"""

from __future__ import annotations

import json
from typing import Any

from labctl.platform.objects import Obj, config_map

SIDECAR_LABEL = {"grafana_dashboard": "1"}
Panel = dict[str, Any]


def _panel(index: int, title: str, queries: list[tuple[str, str]], unit: str = "short") -> Panel:
    # Two panels per row, 12 columns wide and 8 high.
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "gridPos": {"h": 8, "w": 12, "x": (index % 2) * 12, "y": (index // 2) * 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(queries)
        ],
    }


def _dashboard(
    uid: str, title: str, panels: list[tuple[str, list[tuple[str, str]], str]]
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": ["platform-lab"],
        "timezone": "utc",
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "panels": [_panel(i, t, q, u) for i, (t, q, u) in enumerate(panels)],
    }


def platform() -> dict[str, Any]:
    return _dashboard(
        "platform-lab-overview",
        "Platform overview",
        [
            (
                "Node CPU used",
                [
                    (
                        '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))',
                        "{{instance}}",
                    )
                ],
                "percentunit",
            ),
            (
                "Node memory used",
                [
                    (
                        "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
                        "{{instance}}",
                    )
                ],
                "percentunit",
            ),
            (
                "HPA replicas vs max",
                [
                    (
                        "kube_horizontalpodautoscaler_status_current_replicas",
                        "{{namespace}}/{{horizontalpodautoscaler}} current",
                    ),
                    (
                        "kube_horizontalpodautoscaler_spec_max_replicas",
                        "{{namespace}}/{{horizontalpodautoscaler}} max",
                    ),
                ],
                "short",
            ),
            (
                "PVC used",
                [
                    (
                        "kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes",
                        "{{namespace}}/{{persistentvolumeclaim}}",
                    )
                ],
                "percentunit",
            ),
            ("Vault unsealed", [("vault_core_unsealed", "{{pod}}")], "short"),
            (
                "Hours since last successful backup",
                [("(time() - velero_backup_last_successful_timestamp) / 3600", "{{schedule}}")],
                "h",
            ),
            (
                "Certificates: days to expiry",
                [
                    (
                        "(certmanager_certificate_expiration_timestamp_seconds - time()) / 86400",
                        "{{namespace}}/{{name}}",
                    )
                ],
                "d",
            ),
            (
                "Argo CD applications not healthy",
                [
                    (
                        'count by (health_status) (argocd_app_info{health_status!="Healthy"})',
                        "{{health_status}}",
                    )
                ],
                "short",
            ),
        ],
    )


def taskapp(namespace: str) -> dict[str, Any]:
    sel = f'namespace="{namespace}"'
    return _dashboard(
        "platform-lab-taskapp",
        "TaskApp",
        [
            (
                "Requests per second",
                [
                    (
                        f"sum by (status) (rate(taskapp_http_requests_total{{{sel}}}[5m]))",
                        "{{status}}",
                    )
                ],
                "reqps",
            ),
            (
                "Error ratio (5xx)",
                [
                    (
                        f'sum(rate(taskapp_http_requests_total{{{sel},status=~"5.."}}[5m])) '
                        f"/ sum(rate(taskapp_http_requests_total{{{sel}}}[5m]))",
                        "5xx",
                    )
                ],
                "percentunit",
            ),
            (
                "Latency p95",
                [
                    (
                        "histogram_quantile(0.95, sum by (le, route) "
                        f"(rate(taskapp_http_request_duration_seconds_bucket{{{sel}}}[5m])))",
                        "{{route}}",
                    )
                ],
                "s",
            ),
            ("Database ready", [(f"taskapp_db_ready{{{sel}}}", "{{pod}}")], "short"),
            (
                "Credential reloads",
                [
                    (
                        "sum by (result) "
                        f"(increase(taskapp_credential_reloads_total{{{sel}}}[1h]))",
                        "{{result}}",
                    )
                ],
                "short",
            ),
            (
                "DB pool connections",
                [(f"sum by (state) (taskapp_db_pool_connections{{{sel}}})", "{{state}}")],
                "short",
            ),
            (
                "Replicas",
                [(f"kube_deployment_status_replicas_available{{{sel}}}", "{{deployment}}")],
                "short",
            ),
            (
                "DB retries",
                [
                    (
                        f"sum by (reason) (increase(taskapp_db_retries_total{{{sel}}}[1h]))",
                        "{{reason}}",
                    )
                ],
                "short",
            ),
        ],
    )


def config_maps(namespace: str, taskapp_namespace: str) -> list[Obj]:
    out = []
    for name, board in (("platform", platform()), ("taskapp", taskapp(taskapp_namespace))):
        body = json.dumps(board, indent=2, sort_keys=True) + "\n"
        out.append(
            config_map(f"dashboard-{name}", namespace, {f"{name}.json": body}, SIDECAR_LABEL)
        )
    return out
