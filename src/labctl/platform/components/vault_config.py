"""The desired Vault configuration (a `VaultSpec`) and the Argo CD PostSync Job that applies it
with `labctl vault configure --spec FILE`.

What it makes true: Kubernetes auth, the runbook's `taskapp-policy`, the database secrets engine
with a connection to TaskApp's PostgreSQL and `taskapp-role` (1h TTL), bound to TaskApp's own
ServiceAccount (never `default`). Revocation ends the role's open sessions: PostgreSQL's
`VALID UNTIL` only stops new logins (ops-apis.md 1.7), so a revoked user would keep querying.
"""

from __future__ import annotations

import yaml

from labctl.config.cluster import ClusterConfig
from labctl.config.vault_spec import (
    DatabaseConnection,
    DatabaseEngine,
    DatabaseRole,
    KubernetesAuth,
    KubernetesRole,
    KvMount,
    Policy,
    VaultSpec,
)
from labctl.platform.component import Component, Wave
from labctl.platform.components import vault, vault_snapshots
from labctl.platform.objects import (
    Obj,
    config_map,
    labels,
    meta,
    resources,
    restricted_container_security,
    restricted_pod_security,
    service_account,
    tmp_mount,
)

NAMESPACE = vault.NAMESPACE
JOB = "vault-configure"
SPEC_DIR = "/etc/labctl"
SPEC_FILE = "vault-spec.yaml"
DB_SECRET_DIR = "/etc/labctl/db"
POLICY = "taskapp-policy"
ROLE = "taskapp-role"
CONNECTION = "taskapp-postgres"
# Audience of the projected token TaskApp's Vault Agent logs in with (not the API server's).
AUDIENCE = "vault"
# The group role that owns TaskApp's tables; each dynamic user acts as it (see taskapp.py).
OWNER_ROLE = "taskapp_owner"

POLICY_HCL = """\
path "internal/data/database/config" {
  capabilities = ["read"]
}
path "database/creds/taskapp-role" {
  capabilities = ["read"]
}
"""

CREATION = [
    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' "
    f"IN ROLE {OWNER_ROLE};",
    # Tables created by any credential belong to the owner role, so the next one can use them.
    f'ALTER ROLE "{{{{name}}}}" SET ROLE {OWNER_ROLE};',
]
REVOCATION = [
    'ALTER ROLE "{{name}}" NOLOGIN;',
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}';",
    f'REVOKE {OWNER_ROLE} FROM "{{{{name}}}}";',
    'DROP ROLE IF EXISTS "{{name}}";',
]
RENEW = ["ALTER ROLE \"{{name}}\" VALID UNTIL '{{expiration}}';"]


def spec(config: ClusterConfig, taskapp_namespace: str, backend_service_account: str) -> VaultSpec:
    db = config.taskapp.database
    host = f"postgres.{taskapp_namespace}.svc.cluster.local"
    return VaultSpec(
        policies=[Policy(name=POLICY, hcl=POLICY_HCL), vault_snapshots.policy()],
        kv=[KvMount(path="internal")],  # what POLICY_HCL's internal/data/... reads
        kubernetes_auth=KubernetesAuth(
            roles=[
                vault_snapshots.kubernetes_role(),
                KubernetesRole(
                    name=ROLE,
                    bound_service_account_names=[backend_service_account],
                    bound_service_account_namespaces=[taskapp_namespace],
                    token_policies=[POLICY],
                    token_ttl="1h",
                    token_max_ttl="4h",
                    audience=AUDIENCE,
                ),
            ]
        ),
        database=DatabaseEngine(
            connections=[
                DatabaseConnection(
                    name=CONNECTION,
                    connection_url=f"postgresql://{{{{username}}}}:{{{{password}}}}@{host}:5432/{db.name}"
                    "?sslmode=disable",
                    username="postgres",
                    password_file=f"{DB_SECRET_DIR}/{db.admin_password.key}",
                    allowed_roles=[ROLE],
                )
            ],
            roles=[
                DatabaseRole(
                    name=ROLE,
                    db_name=CONNECTION,
                    creation_statements=CREATION,
                    revocation_statements=REVOCATION,
                    renew_statements=RENEW,
                    default_ttl=db.credentials_ttl,
                    max_ttl=db.credentials_max_ttl,
                )
            ],
        ),
    )


def spec_yaml(value: VaultSpec) -> str:
    return yaml.safe_dump(value.model_dump(by_alias=True), sort_keys=True, default_flow_style=False)


def job(config: ClusterConfig) -> Obj:
    token = config.vault.configure_token
    db_secret = config.taskapp.database.admin_password
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta(
            JOB,
            NAMESPACE,
            labels=labels(JOB, "vault-configure"),
            annotations={
                "argocd.argoproj.io/hook": "PostSync",
                "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
            },
        ),
        "spec": {
            "backoffLimit": 6,
            "activeDeadlineSeconds": 1800,
            "template": {
                "metadata": {"labels": labels(JOB, "vault-configure")},
                "spec": {
                    "restartPolicy": "OnFailure",
                    "serviceAccountName": JOB,
                    "automountServiceAccountToken": False,
                    "securityContext": restricted_pod_security(),
                    "containers": [
                        {
                            "name": "configure",
                            "image": config.images.labctl,
                            "imagePullPolicy": "IfNotPresent",
                            "args": [
                                "vault",
                                "configure",
                                "--spec",
                                f"{SPEC_DIR}/{SPEC_FILE}",
                                "--yes",
                            ],
                            "env": [
                                {"name": "VAULT_ADDR", "value": vault.active_addr(config)},
                                {"name": "VAULT_CACERT", "value": "/etc/vault-tls/ca.crt"},
                                {
                                    "name": "VAULT_TOKEN",
                                    "valueFrom": {
                                        "secretKeyRef": {"name": token.name, "key": token.key}
                                    },
                                },
                            ],
                            "resources": resources("50m", "128Mi", "500m", "256Mi"),
                            "securityContext": restricted_container_security(),
                            "volumeMounts": [
                                {
                                    "name": "spec",
                                    "mountPath": SPEC_DIR + "/" + SPEC_FILE,
                                    "subPath": SPEC_FILE,
                                    "readOnly": True,
                                },
                                {"name": "db-admin", "mountPath": DB_SECRET_DIR, "readOnly": True},
                                {
                                    "name": "vault-ca",
                                    "mountPath": "/etc/vault-tls",
                                    "readOnly": True,
                                },
                                tmp_mount(),
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "spec", "configMap": {"name": JOB}},
                        {
                            "name": "db-admin",
                            "secret": {
                                "secretName": db_secret.name,
                                "items": [{"key": db_secret.key, "path": db_secret.key}],
                            },
                        },
                        {
                            "name": "vault-ca",
                            "secret": {
                                "secretName": vault.TLS_SECRET,
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            },
                        },
                        {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}},
                    ],
                },
            },
        },
    }


def component(config: ClusterConfig, desired: VaultSpec) -> Component:
    return Component(
        name="vault-config",
        namespace=NAMESPACE,
        tier="security",
        wave=Wave.SECRETS_CONFIG,
        description="Vault auth, policies and database engine, applied by a PostSync Job",
        manifests=[
            service_account(JOB, NAMESPACE),
            config_map(JOB, NAMESPACE, {SPEC_FILE: spec_yaml(desired)}),
            job(config),
        ],
    )
