"""Longhorn: replicated block storage and the default StorageClass.

Longhorn's data path crosses nodes (replicas, the host's iSCSI initiator, CSI), so its namespace
opens ingress on all ports and egress to the node network; default deny still covers the rest.
"""

from __future__ import annotations

from typing import Any

from labctl.config.cluster import ClusterConfig
from labctl.platform import netpol
from labctl.platform.component import LONGHORN, Component, Wave
from labctl.platform.objects import namespace, resources

NAMESPACE = "longhorn-system"
STORAGE_CLASS = "longhorn"


def values(config: ClusterConfig) -> dict[str, Any]:
    replicas = config.storage.replicas
    return {
        "persistence": {
            "defaultClass": True,
            "defaultClassReplicaCount": replicas,
            "reclaimPolicy": "Retain",
        },
        "defaultSettings": {
            "defaultReplicaCount": replicas,
            # A drain waits rather than removing a volume's last healthy replica.
            "nodeDrainPolicy": "block-if-contains-last-replica",
            "replicaSoftAntiAffinity": False,
        },
        "metrics": {"serviceMonitor": {"enabled": True}},
        "longhornManager": {"resources": resources("100m", "256Mi", "1", "512Mi")},
        # A PreSync hook under Argo CD, run before the namespace and its ServiceAccount
        # exist; Longhorn's values say to disable it with GitOps tools.
        "preUpgradeChecker": {"jobEnabled": False},
    }


def component(config: ClusterConfig) -> Component:
    traffic = netpol.Traffic(
        api_server=True,
        inbound=(netpol.Inbound("data-path", ()),),
        egress_cidrs=(str(config.cluster.node_network), str(config.cluster.pod_subnet)),
    )
    return Component(
        name="longhorn",
        namespace=NAMESPACE,
        tier="foundation",
        wave=Wave.FOUNDATION,
        description="Longhorn replicated block storage (default StorageClass)",
        chart=LONGHORN,
        release="longhorn",
        values=values(config),
        manifests=[namespace(NAMESPACE, "privileged"), *netpol.policies(NAMESPACE, traffic)],
    )
