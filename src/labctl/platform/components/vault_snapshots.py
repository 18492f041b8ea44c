"""Vault's own backups: a CronJob that writes a Raft snapshot to every backup target (3-2-1).

Velero backs up Vault's volumes, but a volume copy of a running Raft server is only
crash-consistent; a Raft snapshot is Vault's supported backup and restores with
`labctl vault snapshot restore FILE`. Each run:

1. an init container (labctl's image) logs in with Kubernetes auth as role `vault-snapshot`
   (a projected token for audience `vault`, 10 minutes), whose policy reads only
   `sys/storage/raft/snapshot`, and runs `labctl vault snapshot save`, which verifies the
   snapshot and writes its `.sha256` beside it on an emptyDir;
2. one container per backup target uploads both files with the AWS CLI to
   `s3://<bucket>/<prefix>vault-snapshots/<UTC time>/`; a failed upload fails the Job, and
   the `KubeJobFailed` alert fires.

Each target's credentials are an AWS credentials file in a Secret of this namespace with the
same name and key as the target's Velero Secret (Velero's live in namespace velero, which pods
here cannot mount). Old snapshots expire by the bucket's lifecycle rules.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from labctl.config.cluster import BackupTarget, ClusterConfig
from labctl.config.vault_spec import KubernetesRole, Policy
from labctl.platform import netpol
from labctl.platform.component import Component, Wave
from labctl.platform.components import vault
from labctl.platform.objects import (
    Obj,
    labels,
    meta,
    resources,
    restricted_container_security,
    restricted_pod_security,
    service_account,
    tmp_mount,
)

NAME = "vault-snapshot"
NAMESPACE = vault.NAMESPACE
ROLE = POLICY = NAME
AUDIENCE = "vault"  # as TaskApp's agent: Vault's Kubernetes auth checks it
TOKEN_DIR = "/var/run/secrets/vault"
WORK = "/snapshots"
POLICY_HCL = 'path "sys/storage/raft/snapshot" {\n  capabilities = ["read"]\n}\n'


def policy() -> Policy:
    return Policy(name=POLICY, hcl=POLICY_HCL)


def kubernetes_role() -> KubernetesRole:
    return KubernetesRole(
        name=ROLE,
        bound_service_account_names=[NAME],
        bound_service_account_namespaces=[NAMESPACE],
        token_policies=[POLICY],
        token_ttl="10m",
        token_max_ttl="30m",
        audience=AUDIENCE,
    )


def _save(config: ClusterConfig) -> Obj:
    return {
        "name": "save",
        "image": config.images.labctl,
        "imagePullPolicy": "IfNotPresent",
        "args": [
            "vault",
            "snapshot",
            "save",
            f"{WORK}/vault.snap",
            "--kubernetes-role",
            ROLE,
            "--jwt-file",
            f"{TOKEN_DIR}/token",
        ],
        "env": [
            {"name": "VAULT_ADDR", "value": vault.active_addr(config)},
            {"name": "VAULT_CACERT", "value": "/etc/vault-tls/ca.crt"},
        ],
        "resources": resources("50m", "128Mi", "500m", "256Mi"),
        "securityContext": restricted_container_security(),
        "volumeMounts": [
            {"name": "snapshots", "mountPath": WORK},
            {"name": "token", "mountPath": TOKEN_DIR, "readOnly": True},
            {"name": "vault-ca", "mountPath": "/etc/vault-tls", "readOnly": True},
            tmp_mount(),
        ],
    }


def _upload(config: ClusterConfig, target: BackupTarget) -> Obj:
    where = f"s3://{target.bucket}/{target.prefix}vault-snapshots"
    style = "path" if target.path_style else "virtual"
    script = (
        'set -eu\nmkdir -p "$HOME/.aws"\n'
        f'printf "[default]\\ns3 =\\n  addressing_style = {style}\\n" > "$HOME/.aws/config"\n'
        'stamp="$(date -u +%Y%m%dT%H%M%SZ)"\n'
        f"for f in vault.snap vault.snap.sha256; do\n"
        f'  aws s3 cp --only-show-errors --endpoint-url "$ENDPOINT" "{WORK}/$f" '
        f'"{where}/$stamp/$f"\ndone\n'
    )
    return {
        "name": f"upload-{target.name}",
        "image": config.images.aws_cli,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/sh", "-c", script],
        "env": [
            {"name": "ENDPOINT", "value": target.endpoint},
            {"name": "AWS_DEFAULT_REGION", "value": target.region},
            {"name": "AWS_SHARED_CREDENTIALS_FILE", "value": f"/etc/s3/{target.credentials.key}"},
            {"name": "HOME", "value": tmp_mount()["mountPath"]},  # the CLI's cache, writable
        ],
        "resources": resources("50m", "64Mi", "500m", "256Mi"),
        "securityContext": restricted_container_security(),
        "volumeMounts": [
            {"name": "snapshots", "mountPath": WORK, "readOnly": True},
            {"name": f"s3-{target.name}", "mountPath": "/etc/s3", "readOnly": True},
            tmp_mount(),
        ],
    }


def cronjob(config: ClusterConfig) -> Obj:
    targets = config.backups.targets
    secrets = [
        {"name": f"s3-{t.name}", "secret": {"secretName": t.credentials.name,
         "items": [{"key": t.credentials.key, "path": t.credentials.key}]}}
        for t in targets
    ]  # fmt: skip
    token = {"serviceAccountToken": {"audience": AUDIENCE, "expirationSeconds": 600,
                                     "path": "token"}}  # fmt: skip
    pod = {
        "restartPolicy": "OnFailure",
        "serviceAccountName": NAME,
        "automountServiceAccountToken": False,
        "securityContext": restricted_pod_security(),
        "initContainers": [_save(config)],
        "containers": [_upload(config, t) for t in targets],
        "volumes": [
            {"name": "snapshots", "emptyDir": {"sizeLimit": "1Gi"}},
            {"name": "token", "projected": {"sources": [token]}},
            {
                "name": "vault-ca",
                "secret": {
                    "secretName": vault.TLS_SECRET,
                    "items": [{"key": "ca.crt", "path": "ca.crt"}],
                },
            },
            {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}},
            *secrets,
        ],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": meta(NAME, NAMESPACE, labels=labels(NAME, "backup")),
        "spec": {
            "schedule": config.vault.snapshot_schedule,
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 2,
                    "activeDeadlineSeconds": 1800,
                    "template": {"metadata": {"labels": labels(NAME, "backup")}, "spec": pod},
                }
            },
        },
    }


def egress(config: ClusterConfig) -> Obj:
    """The snapshot pods may reach the targets' S3 ports anywhere (in-cluster or outside)."""
    ports = sorted({urlsplit(t.endpoint).port or (443 if t.endpoint.startswith("https") else 80)
                    for t in config.backups.targets})  # fmt: skip
    return netpol.policy(f"{NAME}-s3", NAMESPACE, {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
        "policyTypes": ["Egress"],
        "egress": [{"ports": [{"protocol": "TCP", "port": p} for p in ports]}],
    })  # fmt: skip


def component(config: ClusterConfig) -> Component:
    return Component(
        name=NAME,
        namespace=NAMESPACE,
        tier="security",
        wave=Wave.SECRETS_CONFIG,
        description="Raft snapshots of Vault to every backup target, with their sha256",
        manifests=[service_account(NAME, NAMESPACE), cronjob(config), egress(config)],
    )
