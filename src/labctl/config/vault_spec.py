"""The desired Vault configuration, the contract between `render` and `vault configure`.

`labctl render` writes one of these as YAML (from cluster.yaml);
`labctl vault configure --spec FILE` applies it idempotently, from a laptop or as Argo CD's
PostSync Job. It holds no secret values: the database root password is read at apply time from a
file (a mounted Kubernetes Secret) or an environment variable named here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Policy(_Spec):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    hcl: str = Field(min_length=1, description="The policy document, in Vault's HCL.")


class KubernetesRole(_Spec):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    bound_service_account_names: list[str] = Field(min_length=1)
    bound_service_account_namespaces: list[str] = Field(min_length=1)
    token_policies: list[str] = Field(min_length=1)
    token_ttl: str = "1h"
    token_max_ttl: str = "4h"
    audience: str | None = None

    @model_validator(mode="after")
    def _no_default_service_account(self) -> KubernetesRole:
        # A role bound to `default` hands its policies to every pod in the namespace.
        if "default" in self.bound_service_account_names or "*" in self.bound_service_account_names:
            raise ValueError(
                f"Vault role {self.name!r} is bound to the 'default' (or every) ServiceAccount; "
                "bind it to a dedicated ServiceAccount"
            )
        return self


class KubernetesAuth(_Spec):
    path: str = "kubernetes"
    kubernetes_host: str = "https://kubernetes.default.svc"
    kubernetes_ca_cert_file: str | None = Field(
        default=None,
        description="PEM file of the API server's CA. Unset: Vault reads its pod's own "
        "service-account CA, which exists only when Vault runs in Kubernetes.",
    )
    roles: list[KubernetesRole] = Field(default_factory=list)


class KvMount(_Spec):
    """A KV secrets engine the policies read from (e.g. `internal/data/...` is KV version 2)."""

    path: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: Literal[1, 2] = 2


class DatabaseConnection(_Spec):
    name: str
    plugin_name: Literal["postgresql-database-plugin"] = "postgresql-database-plugin"
    connection_url: str = Field(
        description="With {{username}}/{{password}} placeholders, e.g. "
        "postgresql://{{username}}:{{password}}@postgres.taskapp.svc:5432/taskapp?sslmode=disable"
    )
    username: str
    password_file: str | None = Field(
        default=None, description="File holding the root password (a mounted Secret)."
    )
    password_env: str | None = Field(
        default=None, description="Environment variable holding the root password."
    )
    allowed_roles: list[str] = Field(min_length=1)
    verify_connection: bool = True
    max_open_connections: int = 4
    max_connection_lifetime: str = "0s"

    @model_validator(mode="after")
    def _one_password_source(self) -> DatabaseConnection:
        if (self.password_file is None) == (self.password_env is None):
            raise ValueError(
                f"database connection {self.name!r}: "
                "set exactly one of password_file or password_env"
            )
        return self


class DatabaseRole(_Spec):
    name: str
    db_name: str
    creation_statements: list[str] = Field(min_length=1)
    revocation_statements: list[str] = Field(min_length=1)
    renew_statements: list[str] = Field(default_factory=list)
    default_ttl: str = "1h"
    max_ttl: str = "24h"


class DatabaseEngine(_Spec):
    path: str = "database"
    connections: list[DatabaseConnection] = Field(default_factory=list)
    roles: list[DatabaseRole] = Field(default_factory=list)


class VaultSpec(_Spec):
    """Everything `labctl vault configure` makes true, and nothing else."""

    api_version: Literal["labctl.platform-lab.dev/v1"] = Field(
        default="labctl.platform-lab.dev/v1", alias="apiVersion"
    )
    kind: Literal["VaultSpec"] = "VaultSpec"
    policies: list[Policy] = Field(default_factory=list)
    kv: list[KvMount] = Field(default_factory=list)
    kubernetes_auth: KubernetesAuth = Field(default_factory=KubernetesAuth)
    database: DatabaseEngine = Field(default_factory=DatabaseEngine)
