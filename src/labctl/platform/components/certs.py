"""cert-manager and the issuers: Let's Encrypt over Cloudflare DNS-01 for public names, and a
self-signed platform CA for in-cluster TLS (Vault's listener, the Vault agents' trust).

The Cloudflare token is read from a Secret in cert-manager's cluster resource namespace
(`cert-manager`): a ClusterIssuer cannot read Secrets from anywhere else (cert-manager#263).
"""

from __future__ import annotations

from typing import Any

from labctl.config.cluster import ClusterConfig
from labctl.platform import netpol
from labctl.platform.component import CERT_MANAGER, Component, Wave, webhook_ca
from labctl.platform.objects import Obj, labels, meta, namespace, resources

NAMESPACE = "cert-manager"
ACME_ISSUER = "letsencrypt"
CA_ISSUER = "platform-ca"
SELF_SIGNED = "selfsigned-bootstrap"
CA_SECRET = "platform-ca"
ACME_SERVERS = {
    "production": "https://acme-v02.api.letsencrypt.org/directory",
    "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
}


def _cert(name: str, ns: str, spec: Obj) -> Obj:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": meta(name, ns, labels=labels(name, "certificate")),
        "spec": spec,
    }


def _cluster_issuer(name: str, spec: Obj) -> Obj:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": meta(name, labels=labels(name, "issuer")),
        "spec": spec,
    }


def internal_certificate(
    secret: str, ns: str, dns_names: list[str], ip_addresses: list[str] | None = None
) -> Obj:
    """A certificate from the platform CA; its Secret also carries `ca.crt` for clients."""
    spec: Obj = {
        "secretName": secret,
        "duration": "2160h",
        "renewBefore": "720h",
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        "usages": ["server auth", "client auth", "digital signature", "key encipherment"],
        "dnsNames": dns_names,
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": CA_ISSUER},
    }
    if ip_addresses:
        spec["ipAddresses"] = ip_addresses
    return _cert(secret, ns, spec)


def public_certificate(secret: str, ns: str, config: ClusterConfig) -> Obj:
    """The wildcard certificate for *.<domain>, issued over Cloudflare DNS-01."""
    return _cert(
        secret,
        ns,
        {
            "secretName": secret,
            "dnsNames": [config.domain, f"*.{config.domain}"],
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": ACME_ISSUER},
        },
    )


def issuers(config: ClusterConfig) -> list[Obj]:
    token = config.tls.cloudflare_api_token
    return [
        _cluster_issuer(SELF_SIGNED, {"selfSigned": {}}),
        _cert(
            CA_SECRET,
            NAMESPACE,
            {
                "isCA": True,
                "commonName": f"{config.cluster.name} platform CA",
                "secretName": CA_SECRET,
                "duration": "87600h",
                "privateKey": {"algorithm": "ECDSA", "size": 256},
                "issuerRef": {
                    "group": "cert-manager.io",
                    "kind": "ClusterIssuer",
                    "name": SELF_SIGNED,
                },
            },
        ),
        _cluster_issuer(CA_ISSUER, {"ca": {"secretName": CA_SECRET}}),
        _cluster_issuer(
            ACME_ISSUER,
            {
                "acme": {
                    "server": ACME_SERVERS[config.tls.acme_server],
                    "email": config.tls.acme_email,
                    "privateKeySecretRef": {"name": f"{ACME_ISSUER}-account-key"},
                    "solvers": [
                        {
                            "selector": {"dnsZones": [config.domain]},
                            "dns01": {
                                "cloudflare": {
                                    "apiTokenSecretRef": {"name": token.name, "key": token.key}
                                }
                            },
                        }
                    ],
                }
            },
        ),
    ]


def values(config: ClusterConfig) -> dict[str, Any]:
    resolvers = ",".join(f"{ip}:53" for ip in config.dns.forwarders)
    return {
        "crds": {"enabled": True, "keep": True},
        # Leader election leases in cert-manager's namespace, not kube-system (outside its
        # project).
        "global": {"leaderElection": {"namespace": NAMESPACE}},
        "replicaCount": 2,
        "podDisruptionBudget": {"enabled": True},  # minAvailable 1 of 2 replicas
        "prometheus": {"enabled": True, "servicemonitor": {"enabled": True}},
        "resources": resources("50m", "128Mi", "500m", "256Mi"),
        "webhook": {"replicaCount": 2, "resources": resources("20m", "64Mi", "200m", "128Mi")},
        "cainjector": {"resources": resources("20m", "128Mi", "200m", "256Mi")},
        "startupapicheck": {"resources": resources("10m", "32Mi", "100m", "64Mi")},
        # Ask the upstream resolvers, so DNS-01 propagation checks skip the internal DNS.
        "dns01RecursiveNameservers": resolvers,
        "dns01RecursiveNameserversOnly": True,
    }


def component(config: ClusterConfig) -> Component:
    traffic = netpol.Traffic(
        api_server=True,
        internet_ports=(443, 53),  # ACME and the Cloudflare API; DNS-01 propagation checks
        inbound=(
            netpol.Inbound("webhook", (10250,), pods={"app.kubernetes.io/name": "webhook"}),
            netpol.Inbound("monitoring", (9402,), ("monitoring",)),
        ),
    )
    return Component(
        name="cert-manager",
        namespace=NAMESPACE,
        tier="foundation",
        wave=Wave.FOUNDATION,
        description="cert-manager with Let's Encrypt (Cloudflare DNS-01) and the platform CA",
        chart=CERT_MANAGER,
        release="cert-manager",
        values=values(config),
        manifests=[namespace(NAMESPACE, "restricted"), *netpol.policies(NAMESPACE, traffic)],
        server_side_apply=True,
        ignore_differences=webhook_ca(),
    )


def issuers_component(config: ClusterConfig) -> Component:
    """The issuers one wave after cert-manager: its webhook must answer before they apply."""
    return Component(
        name="cluster-issuers",
        namespace=NAMESPACE,
        tier="foundation",
        wave=Wave.ISSUERS,
        description="ClusterIssuers: Let's Encrypt (Cloudflare DNS-01) and the platform CA",
        manifests=issuers(config),
    )
