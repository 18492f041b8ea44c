"""metrics-server: the resource metrics API the HPAs scale on (without it they never do).

It reads the kubelets' serving certificates, which kubeadm's `serverTLSBootstrap` has signed by
the cluster CA once kubelet-csr-approver approved them, so no `--kubelet-insecure-tls`.
"""

from __future__ import annotations

from typing import Any

from labctl.config.cluster import ClusterConfig
from labctl.platform import netpol
from labctl.platform.component import METRICS_SERVER, Component, Wave
from labctl.platform.objects import namespace, resources

NAMESPACE = "metrics-server"
PORT = 10250


def values() -> dict[str, Any]:
    return {
        "replicas": 2,
        # A static binary: the chart's UID 1000 becomes 65534 (nobody); a pod context too.
        "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {"runAsUser": 65534},
        "resources": resources("100m", "200Mi", "500m", "400Mi"),
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
        "serviceMonitor": {"enabled": True},
    }


def component(config: ClusterConfig) -> Component:
    traffic = netpol.Traffic(
        api_server=True,
        # The API server calls the aggregated API from the host network; Prometheus scrapes.
        inbound=(netpol.Inbound("aggregated-api", (PORT,)),),
        egress_cidrs=(str(config.cluster.node_network),),  # the kubelets, :10250
    )
    return Component(
        name="metrics-server",
        namespace=NAMESPACE,
        tier="foundation",
        wave=Wave.FOUNDATION,
        description="metrics-server: CPU and memory for the HPAs and `kubectl top`",
        chart=METRICS_SERVER,
        release="metrics-server",
        values=values(),
        # The chart binds extension-apiserver-authentication-reader in kube-system.
        extra_namespaces=("kube-system",),
        manifests=[namespace(NAMESPACE, "restricted"), *netpol.policies(NAMESPACE, traffic)],
    )
