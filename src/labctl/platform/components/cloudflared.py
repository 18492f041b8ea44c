"""cloudflared: a remotely managed Cloudflare tunnel; the token is a file mounted from a Secret,
never an argument, an environment variable or a chart value. Public hostnames are mapped in the
Cloudflare dashboard: the platform UIs to the Gateway, TaskApp's hosts to its Services directly
(`/api` to the backend, the rest to the frontend), behind a Cloudflare Access application.
"""

from __future__ import annotations

from labctl.config.cluster import ClusterConfig
from labctl.platform import netpol
from labctl.platform.component import Component, Wave
from labctl.platform.objects import (
    Obj,
    http_probe,
    labels,
    meta,
    namespace,
    pdb,
    resources,
    restricted_container_security,
    restricted_pod_security,
    selector,
    service_account,
)

NAMESPACE = "cloudflared"
NAME = "cloudflared"
METRICS_PORT = 2000
TOKEN_DIR = "/etc/cloudflared-token"


def deployment(config: ClusterConfig) -> Obj:
    app = selector(NAME)
    token = config.tunnel.token
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(NAME, NAMESPACE, labels=labels(NAME, "tunnel")),
        "spec": {
            "replicas": config.tunnel.replicas,
            "selector": {"matchLabels": app},
            "template": {
                "metadata": {"labels": {**labels(NAME, "tunnel"), **app}},
                "spec": {
                    "serviceAccountName": NAME,
                    "automountServiceAccountToken": False,
                    "securityContext": restricted_pod_security(65532),
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": app},
                        }
                    ],
                    "containers": [
                        {
                            "name": NAME,
                            "image": config.images.cloudflared,
                            "imagePullPolicy": "IfNotPresent",
                            "args": [
                                "tunnel",
                                "--no-autoupdate",
                                "--metrics",
                                f"0.0.0.0:{METRICS_PORT}",
                                "--protocol",
                                "http2",  # TCP: the network policy opens no UDP for QUIC
                                "run",
                                "--token-file",  # cloudflared >= 2025.4.0
                                f"{TOKEN_DIR}/{token.key}",
                            ],
                            "ports": [{"name": "metrics", "containerPort": METRICS_PORT}],
                            "livenessProbe": http_probe(
                                "/ready", "metrics", period=10, failures=3, delay=10
                            ),
                            "readinessProbe": http_probe("/ready", "metrics", period=5),
                            "resources": resources("50m", "64Mi", "500m", "256Mi"),
                            "securityContext": restricted_container_security(),
                            "volumeMounts": [
                                {"name": "token", "mountPath": TOKEN_DIR, "readOnly": True}
                            ],
                        }
                    ],
                    "volumes": [
                        {
                            "name": "token",
                            "secret": {
                                "secretName": token.name,
                                "items": [{"key": token.key, "path": token.key}],
                            },
                        }
                    ],
                },
            },
        },
    }


def component(config: ClusterConfig) -> Component:
    traffic = netpol.Traffic(
        internet_ports=(443, 7844),  # Cloudflare edge (HTTP/2 on 7844, API on 443)
        inbound=(netpol.Inbound("monitoring", (METRICS_PORT,), ("monitoring",)),),
        # The Gateway for the platform UIs; TaskApp's Services directly (its identity headers
        # are trusted only on this path).
        egress_to=(
            ("nginx-gateway", 443),
            ("nginx-gateway", 80),
            ("taskapp", 8000),
            ("taskapp", 8080),
        ),
    )
    manifests: list[Obj] = [
        namespace(NAMESPACE, "restricted"),
        *netpol.policies(NAMESPACE, traffic),
    ]
    if config.tunnel.enabled:
        manifests += [
            service_account(NAME, NAMESPACE),
            deployment(config),
            pdb(NAME, NAMESPACE, selector(NAME)),
        ]
    return Component(
        name="cloudflared",
        namespace=NAMESPACE,
        tier="network",
        wave=Wave.INGRESS,
        description="Cloudflare tunnel (token from a Secret, pinned image)",
        manifests=manifests,
    )
