"""The platform's alert rules (PrometheusRule objects) and the Alertmanager configuration.

The runbook's ten capacity and scaling alerts keep its thresholds and durations; the backup,
Vault, certificate, TaskApp and Watchdog alerts are ours. Every alert links to its section of
docs/alerts.md (`runbook_url`), and every alert has promtool unit tests (alert_tests.py) that
`labctl validate` and the test suite run against the rendered rules.

Metric names: kube-state-metrics v2 (`kube_horizontalpodautoscaler_*`, `kube_resourcequota`,
`kube_pod_*`, `kube_node_*`), node-exporter (`node_cpu_seconds_total`, `node_memory_*`,
`node_uname_info`), kubelet (`kubelet_volume_stats_*`), Velero (`velero_backup_*`),
cert-manager (`certmanager_certificate_*`), Vault telemetry (`vault_core_unsealed`) and
TaskApp's own `taskapp_http_requests_total` (src/taskapp/metrics.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["critical", "warning", "info", "none"]

# kube-prometheus-stack's Prometheus selects PrometheusRules labelled `release: <helm release>`
# (prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues: true, the chart's default).
DEFAULT_RELEASE = "kube-prometheus-stack"
# The rendered objects carry the parameters they were built with, so `labctl validate` can
# rebuild the matching promtool tests from the tree alone.
PARAMS_ANNOTATION = "labctl.platform-lab.dev/alert-params"
# kube-prometheus-stack mounts `alertmanagerSpec.secrets` here, one folder per Secret.
ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager/secrets"


@dataclass(frozen=True)
class AlertParams:
    """What the rules depend on besides the runbook's fixed thresholds."""

    runbook_base_url: str
    vault_namespace: str = "vault"
    backup_max_age_hours: int = 26  # a daily schedule plus two hours of slack
    taskapp_error_ratio: float = 0.05


@dataclass(frozen=True)
class Alert:
    name: str
    group: str
    expr: str
    severity: Severity
    summary: str
    description: str
    for_: str | None = None

    @property
    def anchor(self) -> str:
        # GitHub's anchor for a `## Name` heading in docs/alerts.md.
        return self.name.lower()

    def rule(self, runbook_base_url: str) -> dict[str, Any]:
        rule: dict[str, Any] = {"alert": self.name, "expr": self.expr}
        if self.for_:
            rule["for"] = self.for_
        rule["labels"] = {"severity": self.severity}
        rule["annotations"] = {
            "summary": self.summary,
            "description": self.description,
            "runbook_url": f"{runbook_base_url}#{self.anchor}",
        }
        return rule


def _per_node(instance_expr: str) -> str:
    """Give a node-exporter expression (by instance) the Kubernetes node name as `node`."""
    return (
        "label_replace(\n"
        f"  ({instance_expr})\n"
        "  * on (instance) group_left (nodename) node_uname_info,\n"
        '  "node", "$1", "nodename", "(.*)"\n'
        ")"
    )


_HPA = "namespace, horizontalpodautoscaler"
_HPA_NAME = "{{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }}"
# An HPA whose min equals its max is a fixed size on purpose: never "at max".
_HPA_CAN_SCALE = (
    f"and on ({_HPA}) (kube_horizontalpodautoscaler_spec_max_replicas"
    f" != on ({_HPA}) kube_horizontalpodautoscaler_spec_min_replicas)"
)


def _scaling() -> list[Alert]:
    return [
        Alert(
            name="HPAAtMaxReplicas",
            group="scaling",
            expr=(
                "kube_horizontalpodautoscaler_status_current_replicas\n"
                f"  >= on ({_HPA}) kube_horizontalpodautoscaler_spec_max_replicas\n"
                f"{_HPA_CAN_SCALE}"
            ),
            for_="15m",
            severity="warning",
            summary=f"HPA {_HPA_NAME} has been at its maximum replicas for 15 minutes.",
            description=(
                f"HPA {_HPA_NAME} runs {{{{ $value }}}} replicas, its maximum: it cannot add "
                "capacity if load grows further."
            ),
        ),
        Alert(
            name="HPANearMaxReplicas",
            group="scaling",
            expr=(
                "kube_horizontalpodautoscaler_status_current_replicas\n"
                f"  / on ({_HPA}) kube_horizontalpodautoscaler_spec_max_replicas\n"
                "  > 0.8\n"
                f"{_HPA_CAN_SCALE}"
            ),
            for_="10m",
            severity="warning",
            summary=f"HPA {_HPA_NAME} has been above 80% of its maximum replicas for 10 minutes.",
            description=(
                f"HPA {_HPA_NAME} runs at {{{{ $value | humanizePercentage }}}} "
                "of its maximum replicas."
            ),
        ),
        Alert(
            name="HPAScalingDisabled",
            group="scaling",
            expr=(
                "kube_horizontalpodautoscaler_status_condition"
                '{condition="ScalingActive", status="false"} == 1'
            ),
            for_="5m",
            severity="warning",
            summary=f"HPA {_HPA_NAME} cannot scale: its metrics are unavailable.",
            description=(
                f"HPA {_HPA_NAME} has reported ScalingActive=False for 5 minutes; "
                "usually metrics-server is missing or unhealthy, or the pods have no resource "
                "requests."
            ),
        ),
        Alert(
            name="HPAFrequentScaling",
            group="scaling",
            expr="changes(kube_horizontalpodautoscaler_status_desired_replicas[10m]) > 5",
            severity="warning",
            summary=(
                f"HPA {_HPA_NAME} changed its desired replicas more than 5 times in 10 minutes."
            ),
            description=(
                f"HPA {_HPA_NAME} changed its desired replicas {{{{ $value }}}} times in "
                "10 minutes: it is flapping."
            ),
        ),
    ]


def _capacity() -> list[Alert]:
    return [
        Alert(
            name="NodeCPUNearCapacity",
            group="capacity",
            expr=_per_node('1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))')
            + " > 0.75",
            for_="30m",
            severity="warning",
            summary="Node {{ $labels.node }} CPU has been above 75% for 30 minutes.",
            description="Node {{ $labels.node }} CPU is {{ $value | humanizePercentage }} busy.",
        ),
        Alert(
            name="NodeMemoryNearCapacity",
            group="capacity",
            expr=_per_node("1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes")
            + " > 0.75",
            for_="30m",
            severity="warning",
            summary="Node {{ $labels.node }} memory has been above 75% for 30 minutes.",
            description=(
                "Node {{ $labels.node }} uses {{ $value | humanizePercentage }} of its memory."
            ),
        ),
        Alert(
            name="PVCNearCapacity",
            group="capacity",
            expr="kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes > 0.75",
            for_="15m",
            severity="warning",
            summary=(
                "PVC {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} "
                "is more than 75% full."
            ),
            description=(
                "PVC {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is "
                "{{ $value | humanizePercentage }} full."
            ),
        ),
        _overcommit("CPU", "cpu"),
        _overcommit("Memory", "memory"),
        Alert(
            name="NamespaceQuotaNearLimit",
            group="capacity",
            expr=(
                'kube_resourcequota{type="used"}\n'
                '  / ignoring (type) (kube_resourcequota{type="hard"} > 0)\n'
                "  > 0.8"
            ),
            for_="15m",
            severity="warning",
            summary=(
                "Namespace {{ $labels.namespace }} uses more than 80% of its "
                "{{ $labels.resource }} quota."
            ),
            description=(
                "ResourceQuota {{ $labels.namespace }}/{{ $labels.resourcequota }} is at "
                "{{ $value | humanizePercentage }} for {{ $labels.resource }}."
            ),
        ),
        Alert(
            name="NodeDown",
            group="capacity",
            expr='kube_node_status_condition{condition="Ready", status="true"} == 0',
            for_="5m",
            severity="critical",
            summary="Node {{ $labels.node }} has not been Ready for 5 minutes.",
            description=(
                "Node {{ $labels.node }} is NotReady or unreachable; its pods are being "
                "evicted. Per-node warnings for it are inhibited while this fires."
            ),
        ),
    ]


def _overcommit(title: str, resource: str) -> Alert:
    # Requests of pods that hold capacity (Pending or Running), against what nodes offer.
    return Alert(
        name=f"Cluster{title}Overcommit",
        group="capacity",
        expr=(
            f'sum(kube_pod_container_resource_requests{{resource="{resource}"}}\n'
            "    * on (namespace, pod) group_left ()\n"
            "      max by (namespace, pod)"
            ' (kube_pod_status_phase{phase=~"Pending|Running"} == 1))\n'
            f'  / sum(kube_node_status_allocatable{{resource="{resource}"}})\n'
            "  > 0.8"
        ),
        for_="10m",
        severity="warning",
        summary=f"Pods request more than 80% of the cluster's allocatable {resource}.",
        description=(
            f"Pod {resource} requests are {{{{ $value | humanizePercentage }}}} of the nodes' "
            "allocatable; new pods may not schedule and a node drain may not fit."
        ),
    )


def _backups(params: AlertParams) -> list[Alert]:
    hours = params.backup_max_age_hours
    age = 'time() - velero_backup_last_successful_timestamp{schedule!=""}'
    return [
        Alert(
            name="VeleroBackupFailed",
            group="backups",
            expr='velero_backup_last_status{schedule!=""} == 0',
            for_="15m",
            severity="warning",
            summary="The last Velero backup of schedule {{ $labels.schedule }} did not succeed.",
            description=(
                "The newest backup of schedule {{ $labels.schedule }} failed or partially "
                "failed; this backup location holds an older copy only."
            ),
        ),
        Alert(
            name="VeleroBackupTooOld",
            group="backups",
            expr=f"{age} > {hours * 3600}",
            for_="10m",
            severity="warning",
            summary=(
                f"Schedule {{{{ $labels.schedule }}}} has no successful backup in {hours} hours."
            ),
            description=(
                "The last successful backup of schedule {{ $labels.schedule }} finished "
                "{{ $value | humanizeDuration }} ago."
            ),
        ),
        Alert(
            name="VeleroBackupTooOld",
            group="backups",
            expr=f"{age} > {2 * hours * 3600}",
            for_="10m",
            severity="critical",
            summary=(
                f"Schedule {{{{ $labels.schedule }}}} has no successful backup in {2 * hours} "
                "hours."
            ),
            description=(
                "The last successful backup of schedule {{ $labels.schedule }} finished "
                "{{ $value | humanizeDuration }} ago."
            ),
        ),
    ]


def _vault(params: AlertParams) -> list[Alert]:
    ns = params.vault_namespace
    # vault_core_unsealed alone is not enough: a sealed server may stop reporting it (vault#24741),
    # while the chart's readiness probe (`vault status`) fails whenever the server is sealed.
    return [
        Alert(
            name="VaultSealed",
            group="vault",
            expr=(
                "max by (namespace, pod) (kube_pod_container_status_ready"
                f'{{namespace="{ns}", container="vault"}}) == 0\n'
                f'or max by (namespace, pod) (vault_core_unsealed{{namespace="{ns}"}}) == 0'
            ),
            for_="5m",
            severity="critical",
            summary="Vault server {{ $labels.pod }} is sealed or not ready.",
            description=(
                "Vault server {{ $labels.namespace }}/{{ $labels.pod }} has been sealed or not "
                "ready for 5 minutes; with awskms auto-unseal this usually means KMS is "
                "unreachable or its credentials are wrong."
            ),
        ),
    ]


def _certificates() -> list[Alert]:
    expires_in = "(certmanager_certificate_expiration_timestamp_seconds > 0) - time()"
    cert = "{{ $labels.namespace }}/{{ $labels.name }}"
    expiring = "Certificate " + cert + " expires in {{ $value | humanizeDuration }}."
    return [
        Alert(
            name="CertificateExpiringSoon",
            group="certificates",
            expr=f"{expires_in} < 14 * 86400",
            for_="1h",
            severity="warning",
            summary=f"Certificate {cert} expires in less than 14 days.",
            description=expiring + " cert-manager should have renewed it 30 days before.",
        ),
        Alert(
            name="CertificateExpiringSoon",
            group="certificates",
            expr=f"{expires_in} < 3 * 86400",
            for_="10m",
            severity="critical",
            summary=f"Certificate {cert} expires in less than 3 days.",
            description=expiring + " cert-manager should have renewed it 30 days before.",
        ),
        Alert(
            name="CertificateNotReady",
            group="certificates",
            expr=(
                "max by (namespace, name) "
                '(certmanager_certificate_ready_status{condition=~"False|Unknown"}) == 1'
            ),
            for_="15m",
            severity="warning",
            summary=f"Certificate {cert} has not been Ready for 15 minutes.",
            description=(f"Certificate {cert} is not Ready: issuance or renewal is failing."),
        ),
    ]


def _taskapp(params: AlertParams) -> list[Alert]:
    ratio = params.taskapp_error_ratio
    return [
        Alert(
            name="TaskAppHighErrorRate",
            group="taskapp",
            expr=(
                'sum by (namespace) (rate(taskapp_http_requests_total{status=~"5.."}[5m]))\n'
                "  / sum by (namespace) (rate(taskapp_http_requests_total[5m]))\n"
                f"  > {ratio:g}"
            ),
            for_="10m",
            severity="warning",
            summary=(
                f"TaskApp in {{{{ $labels.namespace }}}} answers more than {ratio:.0%} of "
                "requests with a server error."
            ),
            description=(
                "{{ $value | humanizePercentage }} of TaskApp's requests in "
                "{{ $labels.namespace }} failed with a 5xx status over the last 5 minutes."
            ),
        ),
    ]


def _meta() -> list[Alert]:
    return [
        Alert(
            name="Watchdog",
            group="meta",
            expr="vector(1)",
            severity="none",
            summary="Always firing: proves that Prometheus, Alertmanager and routing work.",
            description=(
                "This alert always fires. Alertmanager routes it to the watchdog receiver; a "
                "dead-man's switch outside the cluster should page when it stops arriving."
            ),
        ),
    ]


def alerts(params: AlertParams) -> list[Alert]:
    """Every alert, in the order of docs/alerts.md."""
    return [
        *_scaling(),
        *_capacity(),
        *_backups(params),
        *_vault(params),
        *_certificates(),
        *_taskapp(params),
        *_meta(),
    ]


def prometheus_rules(
    namespace: str,
    runbook_base_url: str,
    *,
    release: str = DEFAULT_RELEASE,
    params: AlertParams | None = None,
) -> list[dict[str, Any]]:
    """One PrometheusRule per alert group, labelled for kube-prometheus-stack's ruleSelector."""
    params = params or AlertParams(runbook_base_url=runbook_base_url)
    if params.runbook_base_url != runbook_base_url:
        raise ValueError("runbook_base_url differs from params.runbook_base_url")
    groups: dict[str, list[dict[str, Any]]] = {}
    for alert in alerts(params):
        groups.setdefault(alert.group, []).append(alert.rule(runbook_base_url))
    return [
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {
                "name": f"platform-{group}",
                "namespace": namespace,
                "labels": {
                    "release": release,
                    "app.kubernetes.io/part-of": "platform-lab",
                    "app.kubernetes.io/managed-by": "labctl",
                },
                "annotations": {PARAMS_ANNOTATION: json.dumps(asdict(params), sort_keys=True)},
            },
            "spec": {"groups": [{"name": f"platform.{group}", "rules": rules}]},
        }
        for group, rules in groups.items()
    ]


def params_of(prometheus_rule: dict[str, Any]) -> AlertParams | None:
    """The parameters a rendered PrometheusRule was built with (None if not ours)."""
    annotations = prometheus_rule.get("metadata", {}).get("annotations") or {}
    raw = annotations.get(PARAMS_ANNOTATION)
    if not raw:
        return None
    return AlertParams(**json.loads(raw))


def discord_webhook_path(secret_name: str, secret_key: str) -> str:
    return f"{ALERTMANAGER_SECRETS_DIR}/{secret_name}/{secret_key}"


def alertmanager_config(
    discord_secret_name: str,
    discord_secret_key: str,
    *,
    heartbeat_url_file: str | None = None,
) -> dict[str, Any]:
    """kube-prometheus-stack `alertmanager.config`: Discord, Watchdog heartbeat, inhibitions.

    The Discord webhook URL is read from a file (`webhook_url_file`, works from Alertmanager
    v0.28.0; chart 88.5.3 ships v0.34.0): list `discord_secret_name` in
    `alertmanager.alertmanagerSpec.secrets` so it is mounted under /etc/alertmanager/secrets/.
    The Watchdog goes to the `watchdog` receiver every minute; give `heartbeat_url_file` (a
    mounted Secret holding a dead-man's-switch URL) to forward it outside the cluster.
    """
    watchdog: dict[str, Any] = {"name": "watchdog"}
    if heartbeat_url_file:
        watchdog["webhook_configs"] = [{"url_file": heartbeat_url_file, "send_resolved": False}]
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": "discord",
            "group_by": ["alertname", "namespace"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {
                    "receiver": "watchdog",
                    "matchers": ['alertname = "Watchdog"'],
                    "group_wait": "0s",
                    "group_interval": "1m",
                    "repeat_interval": "1m",
                },
                # kube-prometheus-stack's default rules: InfoInhibitor only exists to inhibit.
                {"receiver": "null", "matchers": ['alertname = "InfoInhibitor"']},
                {"receiver": "null", "matchers": ['severity = "none"']},
            ],
        },
        "receivers": [
            {
                "name": "discord",
                "discord_configs": [
                    {
                        "webhook_url_file": discord_webhook_path(
                            discord_secret_name, discord_secret_key
                        ),
                        "send_resolved": True,
                    }
                ],
            },
            watchdog,
            {"name": "null"},
        ],
        "inhibit_rules": _inhibit_rules(),
        "templates": ["/etc/alertmanager/config/*.tmpl"],
    }


_SAME_OBJECT = [
    "alertname",
    "namespace",
    "node",
    "pod",
    "persistentvolumeclaim",
    "schedule",
    "name",
]


def _inhibit_rules() -> list[dict[str, Any]]:
    return [
        # The same alert about the same object at a higher severity says it all
        # (VeleroBackupTooOld, CertificateExpiringSoon). A label absent on both sides is equal.
        {
            "source_matchers": ['severity = "critical"'],
            "target_matchers": ['severity =~ "warning|info"'],
            "equal": _SAME_OBJECT,
        },
        {
            "source_matchers": ['severity = "warning"'],
            "target_matchers": ['severity = "info"'],
            "equal": _SAME_OBJECT,
        },
        # A node that is down explains every warning about that node.
        {
            "source_matchers": ['alertname =~ "NodeDown|KubeNodeNotReady|KubeNodeUnreachable"'],
            "target_matchers": ['severity =~ "warning|info"'],
            "equal": ["node"],
        },
        {
            "source_matchers": ['alertname = "HPAAtMaxReplicas"'],
            "target_matchers": ['alertname = "HPANearMaxReplicas"'],
            "equal": ["namespace", "horizontalpodautoscaler"],
        },
        {
            "source_matchers": ['alertname = "InfoInhibitor"'],
            "target_matchers": ['severity = "info"'],
            "equal": ["namespace"],
        },
    ]
