"""Ingress: NGINX Gateway Fabric (Gateway API), one Gateway with a wildcard certificate.

The seed's ingress-nginx (kubernetes/ingress-nginx) was retired in March 2026 and gets no CVE
fixes. NGINX Gateway Fabric is NGINX's maintained implementation of the Gateway API, the
successor of the Ingress API, so we keep "NGINX + cert-manager" on a supported controller.
"""

from __future__ import annotations

from typing import Any

from labctl.config.cluster import ClusterConfig
from labctl.platform import netpol
from labctl.platform.component import (
    GATEWAY_API_REPO,
    GATEWAY_API_VERSION,
    NGINX_GATEWAY_FABRIC,
    Component,
    GitPath,
    Wave,
)
from labctl.platform.components import certs
from labctl.platform.objects import Obj, labels, meta, namespace, resources

NAMESPACE = "nginx-gateway"
GATEWAY = "platform"
GATEWAY_CLASS = "nginx"
TLS_SECRET = "wildcard-tls"
HTTPS_LISTENER = "https"


def gateway(config: ClusterConfig) -> Obj:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": meta(GATEWAY, NAMESPACE, labels=labels(GATEWAY, "gateway")),
        "spec": {
            "gatewayClassName": GATEWAY_CLASS,
            "listeners": [
                {
                    "name": "http",
                    "protocol": "HTTP",
                    "port": 80,
                    "allowedRoutes": {"namespaces": {"from": "Same"}},
                },
                {
                    "name": HTTPS_LISTENER,
                    "protocol": "HTTPS",
                    "port": 443,
                    "hostname": f"*.{config.domain}",
                    "tls": {
                        "mode": "Terminate",
                        "certificateRefs": [{"kind": "Secret", "name": TLS_SECRET}],
                    },
                    "allowedRoutes": {"namespaces": {"from": "All"}},
                },
            ],
        },
    }


def https_redirect() -> Obj:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": meta("https-redirect", NAMESPACE, labels=labels("https-redirect", "route")),
        "spec": {
            "parentRefs": [{"name": GATEWAY, "sectionName": "http"}],
            "rules": [
                {
                    "filters": [
                        {
                            "type": "RequestRedirect",
                            "requestRedirect": {"scheme": "https", "statusCode": 301},
                        }
                    ]
                }
            ],
        },
    }


def route(
    name: str,
    ns: str,
    hosts: list[str],
    backends: list[tuple[str, str, int]],
    remove_headers: tuple[str, ...] = (),
) -> Obj:
    """An HTTPRoute on the shared Gateway's HTTPS listener; backends are (path, service, port).

    `remove_headers` are dropped from every request before it reaches the backends.
    """
    filters = (
        [
            {
                "type": "RequestHeaderModifier",
                "requestHeaderModifier": {"remove": list(remove_headers)},
            }
        ]
        if remove_headers
        else []
    )
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": meta(name, ns, labels=labels(name, "route")),
        "spec": {
            "parentRefs": [
                {"name": GATEWAY, "namespace": NAMESPACE, "sectionName": HTTPS_LISTENER}
            ],
            "hostnames": hosts,
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": path}}],
                    **({"filters": filters} if filters else {}),
                    "backendRefs": [{"name": svc, "port": port}],
                }
                for path, svc, port in backends
            ],
        },
    }


# The control plane <-> agent TLS Secrets (the chart's names); cert-manager issues them instead
# of the chart's cert-generator, a pre-install hook Job that would run before the namespace.
SERVER_TLS = "server-tls"
AGENT_TLS = "agent-tls"
RELEASE = "ngf"


def control_plane_certificates() -> list[Obj]:
    service = f"{RELEASE}-nginx-gateway-fabric.{NAMESPACE}.svc"
    return [
        certs.internal_certificate(SERVER_TLS, NAMESPACE, [service]),
        certs.internal_certificate(AGENT_TLS, NAMESPACE, ["*.cluster.local"]),
    ]


def values(config: ClusterConfig) -> dict[str, Any]:
    return {
        "certGenerator": {
            "enable": False,
            "serverTLSSecretName": SERVER_TLS,
            "agentTLSSecretName": AGENT_TLS,
        },
        "nginxGateway": {
            "gatewayClassName": GATEWAY_CLASS,
            "replicas": 2,
            "resources": resources("50m", "128Mi", "500m", "256Mi"),
        },
        "nginx": {
            "replicas": 2,
            "service": {
                "type": "LoadBalancer",
                "loadBalancerIP": str(config.load_balancer.gateway_ip),
            },
        },
    }


def crds_component() -> Component:
    return Component(
        name="gateway-api-crds",
        namespace="kube-system",
        tier="foundation",
        wave=Wave.CRDS,
        description=f"Gateway API standard CRDs {GATEWAY_API_VERSION}",
        upstream=GitPath(GATEWAY_API_REPO, GATEWAY_API_VERSION, "config/crd/standard"),
        server_side_apply=True,
    )


def component(config: ClusterConfig) -> Component:
    traffic = netpol.Traffic(
        api_server=True,
        inbound=(
            netpol.Inbound("web", (80, 443, 8080, 8443)),  # clients, MetalLB, cloudflared
            netpol.Inbound("monitoring", (9113,), ("monitoring",)),
        ),
        egress_to=(("argocd", 8080), ("monitoring", 3000), ("taskapp", 8000), ("taskapp", 8080)),
    )
    return Component(
        name="nginx-gateway",
        namespace=NAMESPACE,
        tier="network",
        wave=Wave.INGRESS,
        description="NGINX Gateway Fabric, the shared Gateway and its wildcard certificate",
        chart=NGINX_GATEWAY_FABRIC,
        release=RELEASE,
        values=values(config),
        manifests=[
            namespace(NAMESPACE, "baseline"),
            certs.public_certificate(TLS_SECRET, NAMESPACE, config),
            *control_plane_certificates(),
            gateway(config),
            https_redirect(),
            *netpol.policies(NAMESPACE, traffic),
        ],
        # nginxproxies.gateway.nginx.org is ~320 KB, over client-side apply's 262,144-byte
        # annotation limit.
        server_side_apply=True,
    )
