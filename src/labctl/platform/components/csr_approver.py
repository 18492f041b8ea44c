"""kubelet-csr-approver: approves the kubelets' serving certificate requests
(`serverTLSBootstrap: true` in the kubeadm config), which nothing else approves.

Left empty, `providerRegex` and `providerIpPrefixes` approve any name and any IP; here a name
must be one of the config's nodes and every IP inside the node network. The approver also
checks that the requester is that node (`system:node:<name>`) and allows one DNS name. Node
names need not be in DNS (bypassDnsResolution): the IP prefix is what binds the address.
"""

from __future__ import annotations

import re
from typing import Any

from labctl.config.cluster import ClusterConfig
from labctl.platform import netpol
from labctl.platform.component import KUBELET_CSR_APPROVER, Component, Wave
from labctl.platform.objects import namespace

NAMESPACE = "kubelet-csr-approver"


def provider_regex(config: ClusterConfig) -> str:
    names = "|".join(re.escape(n.name) for n in config.nodes)
    return f"^({names})$"


def values(config: ClusterConfig) -> dict[str, Any]:
    return {
        "providerRegex": provider_regex(config),
        "providerIpPrefixes": [str(config.cluster.node_network)],
        "bypassDnsResolution": True,
        "maxExpirationSeconds": str(365 * 24 * 3600),
        "metrics": {"serviceMonitor": {"enabled": True}},
    }


def component(config: ClusterConfig) -> Component:
    traffic = netpol.Traffic(
        api_server=True, inbound=(netpol.Inbound("monitoring", (8080,), ("monitoring",)),)
    )
    return Component(
        name="kubelet-csr-approver",
        namespace=NAMESPACE,
        tier="foundation",
        wave=Wave.FOUNDATION,
        description="approves kubelet serving certificates for the config's nodes only",
        chart=KUBELET_CSR_APPROVER,
        release="kubelet-csr-approver",
        values=values(config),
        manifests=[namespace(NAMESPACE, "restricted"), *netpol.policies(NAMESPACE, traffic)],
    )
