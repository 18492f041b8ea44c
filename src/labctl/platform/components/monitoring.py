"""Monitoring: kube-prometheus-stack (Prometheus, Alertmanager, Grafana, exporters), our alert
rules and Alertmanager routing (alerts.py), dashboards, and the `labctl health` CronJob.

Grafana's admin password comes from a Secret; Alertmanager reads the Discord webhook from a
mounted Secret (`webhook_url_file`), so neither appears in values or in the tree.
"""

from __future__ import annotations

from typing import Any

from labctl.cluster.collect import CollectSettings, VaultLocation
from labctl.config.cluster import ClusterConfig, vault_scheme
from labctl.platform import netpol
from labctl.platform.component import (
    KUBE_PROMETHEUS_STACK,
    PROMETHEUS_OPERATOR_CRDS,
    Component,
    Wave,
    webhook_ca,
)
from labctl.platform.components import alerts, dashboards, gateway, health_cronjob, vault
from labctl.platform.components.longhorn import STORAGE_CLASS
from labctl.platform.objects import Obj, namespace, resources

NAMESPACE = "monitoring"
RELEASE = "kube-prometheus-stack"
GRAFANA_SERVICE = f"{RELEASE}-grafana"
LOKI_URL = "http://loki.logging.svc.cluster.local:3100"
HEALTH_SCHEDULE = "*/15 * * * *"


def _pvc_template(size: str) -> Obj:
    return {
        "volumeClaimTemplate": {
            "spec": {
                "storageClassName": STORAGE_CLASS,
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": size}},
            }
        }
    }


def values(config: ClusterConfig) -> dict[str, Any]:
    admin = config.monitoring.grafana_admin
    discord = config.alerting.discord_webhook
    heartbeat = config.alerting.heartbeat_url
    alertmanager: dict[str, Any] = {
        "alertmanagerSpec": {
            "secrets": sorted({discord.name, heartbeat.name}),
            "storage": _pvc_template("2Gi"),
        },
        "config": alerts.alertmanager_config(
            discord.name,
            discord.key,
            heartbeat_url_file=alerts.discord_webhook_path(heartbeat.name, heartbeat.key),
        ),
    }
    return {
        # The monitoring.coreos.com CRDs come first, from prometheus-operator-crds (wave 0),
        # so that every chart's ServiceMonitors and PodMonitors find them.
        "crds": {"enabled": False},
        # The operator's webhook certificate from cert-manager: no pre-install hook Jobs,
        # which would run before this Application has created the namespace.
        "prometheusOperator": {
            "admissionWebhooks": {"certManager": {"enabled": True}},
            "resources": resources("50m", "128Mi", "500m", "256Mi"),
        },
        "kube-state-metrics": {"resources": resources("20m", "64Mi", "200m", "256Mi")},
        "prometheus-node-exporter": {"resources": resources("20m", "32Mi", "200m", "64Mi")},
        # kubeadm binds these to 0.0.0.0 (kubeadm.py), so the default scrapes find them.
        "kubeEtcd": {"service": {"port": 2381, "targetPort": 2381}},
        "grafana": {
            "admin": {
                "existingSecret": admin.secret,
                "userKey": admin.user_key,
                "passwordKey": admin.password_key,
            },
            "resources": resources("50m", "128Mi", "500m", "512Mi"),
            "sidecar": {
                "dashboards": {"enabled": True, "label": "grafana_dashboard", "labelValue": "1"},
                "resources": resources("10m", "64Mi", "100m", "128Mi"),
            },
            "additionalDataSources": [
                {"name": "Loki", "uid": "loki", "type": "loki", "access": "proxy", "url": LOKI_URL}
            ],
        },
        "alertmanager": alertmanager,
        "prometheus": {
            "prometheusSpec": {
                "retention": config.monitoring.retention,
                "storageSpec": _pvc_template(config.monitoring.prometheus_storage_size),
                # Select every ServiceMonitor/PodMonitor/PrometheusRule, not only this release's.
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
            }
        },
    }


def extra_manifests(config: ClusterConfig, taskapp_namespace: str) -> list[Obj]:
    out = dashboards.config_maps(NAMESPACE, taskapp_namespace)
    out.append(
        gateway.route("grafana", NAMESPACE, [config.host("grafana")], [("/", GRAFANA_SERVICE, 80)])
    )
    out += alerts.prometheus_rules(NAMESPACE, config.alerting.runbook_base_url)
    settings = CollectSettings(vault=VaultLocation(scheme=vault_scheme(config)))
    out += health_cronjob.manifests(
        NAMESPACE, config.images.labctl, HEALTH_SCHEDULE, settings=settings
    )
    return out


def crds_component() -> Component:
    return Component(
        name="prometheus-operator-crds",
        namespace="kube-system",
        tier="foundation",
        wave=Wave.CRDS,
        description="monitoring.coreos.com CRDs (prometheus-operator v0.93.1, as in "
        "kube-prometheus-stack 88.5.3), before any chart's ServiceMonitor",
        chart=PROMETHEUS_OPERATOR_CRDS,
        release="prometheus-operator-crds",
        server_side_apply=True,  # the Prometheus CRDs exceed client-side apply's limit
    )


def component(config: ClusterConfig, taskapp_namespace: str) -> Component:
    traffic = netpol.Traffic(
        api_server=True,
        internet_ports=(443,),  # Alertmanager -> Discord
        inbound=(
            netpol.Inbound("gateway", (3000,), ("nginx-gateway",)),
            netpol.Inbound("node-exporter", (9100,)),  # host network: scraped by node IP
            netpol.Inbound("operator-webhook", (10250,)),
        ),
        # Scraping: exporters and kubelets on the nodes, and metrics ports in every namespace.
        egress_cidrs=(str(config.cluster.node_network), str(config.cluster.pod_subnet)),
        egress_to=(("logging", 3100),),
    )
    return Component(
        name="monitoring",
        namespace=NAMESPACE,
        tier="observability",
        wave=Wave.MONITORING,
        description="kube-prometheus-stack, alert rules, Discord routing and dashboards",
        chart=KUBE_PROMETHEUS_STACK,
        release=RELEASE,
        values=values(config),
        # The chart's Services for the control plane's exporters live in kube-system; the
        # health CronJob's Role (pods/proxy) in Vault's namespace.
        extra_namespaces=("kube-system", vault.NAMESPACE),
        # node-exporter needs the host's network and PID namespaces.
        manifests=[
            namespace(NAMESPACE, "privileged"),
            *netpol.policies(NAMESPACE, traffic),
            *extra_manifests(config, taskapp_namespace),
        ],
        server_side_apply=True,  # large PrometheusRules and dashboards
        ignore_differences=webhook_ca(),
    )
