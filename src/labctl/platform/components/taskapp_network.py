"""TaskApp's network policies: default deny, then only the paths it uses (Gateway to backend and
frontend, Prometheus to the backend, backend to PostgreSQL and Vault, Vault to PostgreSQL).
"""

from __future__ import annotations

from labctl.platform import netpol
from labctl.platform.components import vault
from labctl.platform.components.taskapp_db import POSTGRES
from labctl.platform.objects import Obj, selector

NAMESPACE = "taskapp"
BACKEND = "taskapp-backend"
FRONTEND = "taskapp-frontend"
BACKEND_PORT = 8000
FRONTEND_PORT = 8080


def network_policies() -> list[Obj]:
    def allow(
        name: str, pods: str, ingress: list[Obj] | None = None, egress: list[Obj] | None = None
    ) -> Obj:
        spec: Obj = {"podSelector": {"matchLabels": selector(pods)}, "policyTypes": []}
        if ingress is not None:
            spec["policyTypes"].append("Ingress")
            spec["ingress"] = ingress
        if egress is not None:
            spec["policyTypes"].append("Egress")
            spec["egress"] = egress
        return netpol.policy(name, NAMESPACE, spec)

    def from_ns(ns: str) -> Obj:
        return {"namespaceSelector": {"matchLabels": {netpol.NS_LABEL: ns}}}

    def tcp(number: int) -> list[Obj]:
        return [{"protocol": "TCP", "port": number}]

    base = netpol.policies(NAMESPACE, netpol.Traffic(same_namespace=False))
    return [
        *base,
        allow(
            "allow-backend-ingress",
            BACKEND,
            ingress=[
                {
                    "from": [
                        from_ns("cloudflared"),  # the tunnel, with the identity headers
                        from_ns("nginx-gateway"),  # the LAN route, without them
                        from_ns("monitoring"),
                    ],
                    "ports": tcp(BACKEND_PORT),
                }
            ],
        ),
        allow(
            "allow-backend-egress",
            BACKEND,
            egress=[
                {"to": [{"podSelector": {"matchLabels": selector(POSTGRES)}}], "ports": tcp(5432)},
                {"to": [from_ns(vault.NAMESPACE)], "ports": tcp(8200)},
            ],
        ),
        allow(
            "allow-frontend-ingress",
            FRONTEND,
            ingress=[
                {
                    "from": [from_ns("cloudflared"), from_ns("nginx-gateway")],
                    "ports": tcp(FRONTEND_PORT),
                }
            ],
        ),
        allow(
            "allow-postgres-ingress",
            POSTGRES,
            ingress=[
                {
                    "from": [
                        {"podSelector": {"matchLabels": selector(BACKEND)}},
                        from_ns(vault.NAMESPACE),
                    ],
                    "ports": tcp(5432),
                }
            ],
        ),
    ]
