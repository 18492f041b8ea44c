"""MetalLB in layer-2 mode: one address pool from config and its L2 advertisement."""

from __future__ import annotations

from typing import Any

from labctl.config.cluster import ClusterConfig
from labctl.platform import netpol
from labctl.platform.component import METALLB, Component, Wave
from labctl.platform.objects import Obj, labels, meta, namespace, resources

NAMESPACE = "metallb-system"
POOL = "platform"


def pool(config: ClusterConfig) -> list[Obj]:
    lb = config.load_balancer
    return [
        {
            "apiVersion": "metallb.io/v1beta1",
            "kind": "IPAddressPool",
            "metadata": meta(POOL, NAMESPACE, labels=labels(POOL, "address-pool")),
            "spec": {"addresses": [f"{lb.first}-{lb.last}"], "autoAssign": True},
        },
        {
            "apiVersion": "metallb.io/v1beta1",
            "kind": "L2Advertisement",
            "metadata": meta(POOL, NAMESPACE, labels=labels(POOL, "l2-advertisement")),
            "spec": {"ipAddressPools": [POOL]},
        },
    ]


# kube-prometheus-stack's Prometheus: MetalLB's chart grants it read on the metrics endpoints.
PROMETHEUS_ACCOUNT = "kube-prometheus-stack-prometheus"
PROMETHEUS_NAMESPACE = "monitoring"


def values() -> dict[str, Any]:
    # Layer 2 only: the FRR BGP backends are not needed on a flat home network.
    return {
        "frrk8s": {"enabled": False},
        "controller": {
            "resources": resources("20m", "64Mi", "200m", "128Mi"),
            # The chart's own context (nobody, non-root) plus the runtime's seccomp profile.
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 65534,
                "fsGroup": 65534,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
        },
        "speaker": {
            "frr": {"enabled": False},
            "resources": resources("20m", "64Mi", "200m", "128Mi"),
        },
        "prometheus": {
            "podMonitor": {"enabled": True},
            "serviceAccount": PROMETHEUS_ACCOUNT,
            "namespace": PROMETHEUS_NAMESPACE,
        },
    }


def component(config: ClusterConfig) -> Component:
    traffic = netpol.Traffic(
        api_server=True,
        inbound=(
            netpol.Inbound("webhook", (9443,), pods={"app.kubernetes.io/component": "controller"}),
            netpol.Inbound("monitoring", (7472, 9120), ("monitoring",)),
        ),
    )
    return Component(
        name="metallb",
        namespace=NAMESPACE,
        tier="network",
        wave=Wave.INGRESS,
        description="MetalLB layer-2 load balancer for the address pool in cluster.yaml",
        chart=METALLB,
        release="metallb",
        values=values(),
        # The speaker needs host networking and NET_RAW for ARP.
        manifests=[
            namespace(NAMESPACE, "privileged"),
            *pool(config),
            *netpol.policies(NAMESPACE, traffic),
        ],
    )
