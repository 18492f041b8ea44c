"""Logs: Loki (single binary, filesystem on Longhorn) and Grafana Alloy shipping pod logs to it.

The seed used Promtail, which reached end of life on 2026-03-02; Alloy is its successor. Alloy
tails pod logs through the Kubernetes API (`loki.source.kubernetes`), so it needs no hostPath
mount and the namespace stays at the baseline Pod Security level.
"""

from __future__ import annotations

from typing import Any

from labctl.config.cluster import ClusterConfig
from labctl.platform import netpol
from labctl.platform.component import ALLOY, LOKI, Component, Wave
from labctl.platform.components.longhorn import STORAGE_CLASS
from labctl.platform.objects import namespace, resources

NAMESPACE = "logging"
PUSH_URL = f"http://loki.{NAMESPACE}.svc.cluster.local:3100/loki/api/v1/push"

# Alloy configuration (Alloy syntax), one pipeline: this node's pods -> labels -> Loki.
ALLOY_CONFIG = f"""\
discovery.kubernetes "pods" {{
  role = "pod"
  selectors {{
    role  = "pod"
    field = "spec.nodeName=" + sys.env("HOSTNAME")
  }}
}}

discovery.relabel "pods" {{
  targets = discovery.kubernetes.pods.targets
  rule {{
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    target_label  = "app"
  }}
}}

loki.source.kubernetes "pods" {{
  targets    = discovery.relabel.pods.output
  forward_to = [loki.write.default.receiver]
}}

loki.write "default" {{
  endpoint {{
    url = "{PUSH_URL}"
  }}
}}
"""


def loki_values(config: ClusterConfig) -> dict[str, Any]:
    return {
        "deploymentMode": "Monolithic",
        "loki": {
            "auth_enabled": False,
            "commonConfig": {"replication_factor": 1},
            "storage": {"type": "filesystem"},
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2024-04-01",
                        "store": "tsdb",
                        "object_store": "filesystem",
                        "schema": "v13",
                        "index": {"prefix": "index_", "period": "24h"},
                    }
                ]
            },
            "limits_config": {"retention_period": config.monitoring.loki_retention},
            "compactor": {"retention_enabled": True, "delete_request_store": "filesystem"},
        },
        "singleBinary": {
            "replicas": 1,
            "resources": resources("100m", "256Mi", "1", "1Gi"),
            "persistence": {
                "size": config.monitoring.loki_storage_size,
                "storageClass": STORAGE_CLASS,
            },
        },
        # The simple-scalable targets default to 3 replicas each; Monolithic needs them at 0.
        "backend": {"replicas": 0},
        "read": {"replicas": 0},
        "write": {"replicas": 0},
        "gateway": {"enabled": False},
        "sidecar": {"resources": resources("10m", "64Mi", "100m", "128Mi")},  # the rules sidecar
        "chunksCache": {"enabled": False},
        "resultsCache": {"enabled": False},
        "lokiCanary": {"enabled": False},
        "test": {"enabled": False},
    }


def alloy_values() -> dict[str, Any]:
    return {
        "alloy": {
            "configMap": {"create": True, "content": ALLOY_CONFIG},
            "resources": resources("50m", "128Mi", "500m", "512Mi"),
        },
        "configReloader": {"resources": resources("10m", "50Mi", "100m", "64Mi")},
        "controller": {"type": "daemonset"},
    }


# Logs are a rolling window kept for the retention, not state a restore needs; a file-level
# copy of Loki's live TSDB would not be consistent either.
NOT_BACKED_UP = "logs only: a rolling window kept for the retention, rebuilt from new logs"


def components(config: ClusterConfig) -> list[Component]:
    traffic = netpol.Traffic(
        api_server=True,  # Alloy reads pod logs through the API server
        inbound=(netpol.Inbound("queries", (3100,), ("monitoring",)),),
    )
    return [
        Component(
            name="loki",
            namespace=NAMESPACE,
            tier="observability",
            wave=Wave.MONITORING,
            description="Loki, single binary, logs kept for the configured retention",
            chart=LOKI,
            release="loki",
            values=loki_values(config),
            manifests=[
                namespace(NAMESPACE, "baseline", not_backed_up=NOT_BACKED_UP),
                *netpol.policies(NAMESPACE, traffic),
            ],
        ),
        Component(
            name="alloy",
            namespace=NAMESPACE,
            tier="observability",
            wave=Wave.MONITORING,
            description="Grafana Alloy shipping pod logs to Loki (Promtail's successor)",
            chart=ALLOY,
            release="alloy",
            values=alloy_values(),
        ),
    ]
