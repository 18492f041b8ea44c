"""Calico, the CNI (`cluster.cni: calico`): the tigera-operator chart and, since v3.32, its CRDs
from the separate `crd.projectcalico.org.v1` chart.

Pods cannot start before a CNI runs, Argo CD's included, so `labctl bootstrap` installs both
charts first (bootstrap_manifests.calico_install: host-network Jobs that tolerate the not-ready
taint) with the values below; the two Applications then render the same charts with the same
values and adopt the objects. The IP pool is the kubeadm pod subnet from the config, so every
NetworkPolicy in the tree is enforced (Flannel enforces none).
"""

from __future__ import annotations

from typing import Any

from labctl.config.cluster import ClusterConfig
from labctl.platform import netpol
from labctl.platform.component import CALICO_CRDS, TIGERA_OPERATOR, Component, Wave
from labctl.platform.objects import namespace, resources

NAMESPACE = "tigera-operator"
RELEASE = "calico"
CRDS_RELEASE = "calico-crds"


def values(config: ClusterConfig) -> dict[str, Any]:
    """tigera-operator values; `labctl bootstrap` installs the chart with the same."""
    return {
        "installation": {
            "enabled": True,
            "calicoNetwork": {
                # Must lie inside kubeadm's podSubnet: the same network.
                "ipPools": [
                    {
                        "cidr": str(config.cluster.pod_subnet),
                        "encapsulation": "VXLANCrossSubnet",
                        "natOutgoing": "Enabled",
                        "nodeSelector": "all()",
                    }
                ]
            },
        },
        # The optional Calico API server and the flow-log UIs (Goldmane, Whisker) are not used.
        "apiServer": {"enabled": False},
        "goldmane": {"enabled": False},
        "whisker": {"enabled": False},
        "resources": resources("50m", "128Mi", "500m", "256Mi"),
    }


def crds_component() -> Component:
    return Component(
        name=CRDS_RELEASE,
        namespace=NAMESPACE,
        tier="foundation",
        wave=Wave.CRDS,
        description=f"Calico and tigera-operator CRDs {CALICO_CRDS.version} "
        "(bootstrap applies them first)",
        chart=CALICO_CRDS,
        release=CRDS_RELEASE,
        server_side_apply=True,  # some CRDs exceed client-side apply's annotation limit
    )


def component(config: ClusterConfig) -> Component:
    # The operator and calico-node run on the host network, where NetworkPolicies do not
    # apply; the namespace still denies by default like every other.
    traffic = netpol.Traffic(api_server=True, internet_ports=(443,))
    return Component(
        name=RELEASE,
        namespace=NAMESPACE,
        tier="foundation",
        wave=Wave.FOUNDATION,
        description="Calico CNI via tigera-operator, IP pool = cluster.pod_subnet (bootstrap "
        "installs it before Argo CD)",
        chart=TIGERA_OPERATOR,
        release=RELEASE,
        values=values(config),
        manifests=[namespace(NAMESPACE, "privileged"), *netpol.policies(NAMESPACE, traffic)],
    )
