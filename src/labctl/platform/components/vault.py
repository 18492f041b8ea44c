"""Vault: HA Raft (odd replicas, 3 by default), awskms auto-unseal, TLS from the platform CA,
the agent injector, and a ServiceMonitor.

`vault.distribution: openbao` renders OpenBao's chart (a fork of Vault's, same values) instead:
its paths are under /openbao and its variables BAO_*, and `fullnameOverride`/`nameOverride`
keep every name the rest of the tree and labctl use (StatefulSet `vault`, Services
`vault-active` and `vault-internal`, labels `app.kubernetes.io/name: vault`).

The seed ran 2 Raft replicas: 2 voters need both for quorum, so either failing stops Vault.
The desired Vault configuration (auth, policies, database engine) is `vault_config.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from labctl.config.cluster import ClusterConfig, vault_scheme
from labctl.platform import netpol
from labctl.platform.component import OPENBAO, VAULT, Chart, Component, Wave, webhook_ca
from labctl.platform.components import certs
from labctl.platform.objects import (
    Obj,
    namespace,
    restricted_container_security,
    restricted_pod_security,
)

NAMESPACE = "vault"
TLS_SECRET = "vault-server-tls"
ACTIVE_HOST = f"vault-active.{NAMESPACE}.svc"


def active_addr(config: ClusterConfig) -> str:
    """Where clients in the tree reach the active Vault; the scheme follows `vault.tls`."""
    return f"{vault_scheme(config)}://{ACTIVE_HOST}:8200"


INJECTOR_PORT = 8080


@dataclass(frozen=True)
class Layout:
    """Where each distribution's chart mounts things, and its environment variables' prefix."""

    chart: Chart
    root: str  # /vault or /openbao
    env: str  # VAULT_ or BAO_

    @property
    def tls_dir(self) -> str:
        return f"{self.root}/userconfig/{TLS_SECRET}"

    @property
    def data(self) -> str:
        return f"{self.root}/data"


def layout(config: ClusterConfig) -> Layout:
    if config.vault.distribution == "openbao":
        return Layout(OPENBAO, "/openbao", "BAO_")
    return Layout(VAULT, "/vault", "VAULT_")


def _hcl_string(value: str) -> str:
    return json.dumps(value)  # HCL strings share JSON's quoting rules


def server_config(config: ClusterConfig) -> str:
    """Vault's server configuration (HCL), built from config; no secret in it."""
    where = layout(config)
    scheme = vault_scheme(config)
    ca_line = (
        f"    leader_ca_cert_file = {_hcl_string(f'{where.tls_dir}/ca.crt')}\n"
        if config.vault.tls
        else ""
    )
    joins = "".join(
        "\n  retry_join {\n"
        f"    leader_api_addr = {_hcl_string(f'{scheme}://vault-{i}.vault-internal:8200')}\n"
        f"{ca_line}"
        "  }"
        for i in range(config.vault.replicas)
    )
    tls = (
        f"  tls_cert_file = {_hcl_string(f'{where.tls_dir}/tls.crt')}\n"
        f"  tls_key_file = {_hcl_string(f'{where.tls_dir}/tls.key')}\n"
        '  tls_min_version = "tls12"\n'
        if config.vault.tls
        else '  tls_disable = "true"\n'
    )
    return (
        "ui = true\n"
        'listener "tcp" {\n'
        '  address = "[::]:8200"\n'
        '  cluster_address = "[::]:8201"\n'
        f"{tls}"
        "  telemetry {\n"
        '    unauthenticated_metrics_access = "true"\n'
        "  }\n"
        "}\n"
        'storage "raft" {\n'
        f"  path = {_hcl_string(where.data)}"
        f"{joins}\n"
        "}\n"
        'seal "awskms" {\n'
        f"  region = {_hcl_string(config.vault.kms_region)}\n"
        f"  kms_key_id = {_hcl_string(config.vault.kms_key_id)}\n"
        "}\n"
        'service_registration "kubernetes" {}\n'
        "telemetry {\n"
        '  prometheus_retention_time = "30s"\n'
        "  disable_hostname = true\n"
        "}\n"
    )


def values(config: ClusterConfig) -> dict[str, Any]:
    aws = config.vault.aws_credentials
    tls_volume = "userconfig-" + TLS_SECRET
    where = layout(config)
    names = {"fullnameOverride": "vault", "nameOverride": "vault"} if where.root != "/vault" else {}
    return names | {
        "global": {"enabled": True, "tlsDisable": not config.vault.tls},
        "injector": {
            "enabled": True,
            "replicas": 2,
            "authPath": "auth/kubernetes",
            # A static binary that writes nothing to disk: any UID, a read-only root.
            "securityContext": {
                "pod": restricted_pod_security(),
                "container": restricted_container_security(),
            },
            "resources": {
                "requests": {"cpu": "50m", "memory": "64Mi"},
                "limits": {"cpu": "250m", "memory": "128Mi"},
            },
        },
        "server": {
            # Raft files copied while Vault writes are not a consistent backup: Velero skips
            # the data volume, and Vault is backed up with Raft snapshots instead.
            "annotations": {"backup.velero.io/backup-volumes-excludes": "data"},
            "extraEnvironmentVars": {
                f"{where.env}CACERT": f"{where.tls_dir}/ca.crt",
                f"{where.env}TLSCERT": f"{where.tls_dir}/tls.crt",
                f"{where.env}TLSKEY": f"{where.tls_dir}/tls.key",
            },
            "extraSecretEnvironmentVars": [
                {
                    "envName": "AWS_ACCESS_KEY_ID",
                    "secretName": aws.secret,
                    "secretKey": aws.access_key_id_key,
                },
                {
                    "envName": "AWS_SECRET_ACCESS_KEY",
                    "secretName": aws.secret,
                    "secretKey": aws.secret_access_key_key,
                },
            ],
            "volumes": [
                {"name": tls_volume, "secret": {"secretName": TLS_SECRET, "defaultMode": 0o440}}
            ],
            "volumeMounts": [{"name": tls_volume, "mountPath": where.tls_dir, "readOnly": True}],
            "resources": {
                "requests": {"cpu": "250m", "memory": "256Mi"},
                "limits": {"cpu": "1", "memory": "512Mi"},
            },
            "dataStorage": {
                "enabled": True,
                "size": config.vault.storage_size,
                "storageClass": "longhorn",
            },
            "ha": {
                "enabled": True,
                "replicas": config.vault.replicas,
                "raft": {"enabled": True, "setNodeId": True, "config": server_config(config)},
                "disruptionBudget": {"enabled": True},
            },
        },
        "ui": {"enabled": True},
        "serverTelemetry": {
            "serviceMonitor": {
                "enabled": True,
                "tlsConfig": {
                    "ca": {"secret": {"name": TLS_SECRET, "key": "ca.crt"}},
                    "serverName": f"vault.{NAMESPACE}.svc",
                }
                if config.vault.tls
                else {},
            }
        },
    }


def server_certificate(config: ClusterConfig) -> Obj:
    names = [
        "vault",
        f"vault.{NAMESPACE}",
        f"vault.{NAMESPACE}.svc",
        f"vault.{NAMESPACE}.svc.cluster.local",
        "vault-active",
        f"vault-active.{NAMESPACE}.svc",
        "*.vault-internal",
        f"*.vault-internal.{NAMESPACE}.svc",
        f"*.vault-internal.{NAMESPACE}.svc.cluster.local",
    ]
    return certs.internal_certificate(TLS_SECRET, NAMESPACE, names, ip_addresses=["127.0.0.1"])


def component(config: ClusterConfig) -> Component:
    where = layout(config)
    traffic = netpol.Traffic(
        api_server=True,  # TokenReview for Kubernetes auth, service registration
        internet_ports=(443,),  # AWS KMS
        inbound=(
            netpol.Inbound("clients", (8200,), ("taskapp", "monitoring")),
            netpol.Inbound(
                "injector-webhook",
                (INJECTOR_PORT,),
                pods={"app.kubernetes.io/name": "vault-agent-injector"},
            ),
        ),
        egress_to=(("taskapp", 5432),),  # the database secrets engine
    )
    return Component(
        name="vault",
        namespace=NAMESPACE,
        tier="security",
        wave=Wave.SECRETS,
        description=f"{'OpenBao' if where.root == '/openbao' else 'Vault'} HA Raft with awskms "
        "auto-unseal, TLS and the agent injector",
        chart=where.chart,
        release="vault",
        values=values(config),
        manifests=[
            namespace(NAMESPACE, "baseline"),
            server_certificate(config),
            *netpol.policies(NAMESPACE, traffic),
        ],
        ignore_differences=webhook_ca(),
    )
