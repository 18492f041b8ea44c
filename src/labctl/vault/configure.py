"""`labctl vault configure --spec FILE`: make Vault match a `VaultSpec`, idempotently.

Replaces the runbook's `vault policy write`, `vault write auth/kubernetes/...` and
`vault write database/config/...` one-liners. Every item is read first and written only when it
differs, so a second run changes nothing and reports every item `unchanged`.

Vault never returns the database root password, so it is sent only when a connection is created:
after `rotate-root` only Vault knows it, and writing the spec's password back would break it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labctl.config.vault_spec import (
    DatabaseConnection,
    DatabaseRole,
    KubernetesAuth,
    KubernetesRole,
    VaultSpec,
)
from labctl.vault.connection import vault_errors
from labctl.vault.errors import VaultError

if TYPE_CHECKING:
    import hvac

_DURATION = re.compile(r"(\d+)([smhd]?)")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class Action(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Change:
    kind: str  # policy, auth-method, auth-config, kubernetes-role, secrets-engine, ...
    name: str
    action: Action
    fields: list[str] = field(default_factory=list)  # names only: values may be sensitive


@dataclass(frozen=True)
class _Item:
    kind: str
    name: str
    path: str  # what is read and written
    desired: dict[str, Any]  # compared with what Vault returns
    write: dict[str, Any]  # sent on create or update
    password: Callable[[], str] | None = None  # read and sent on create only


def seconds(value: Any) -> int:
    """A Vault duration in seconds: 3600, "3600", "1h", "1h30m"."""
    if isinstance(value, int):
        return value
    return sum(int(n) * _UNIT[u] for n, u in _DURATION.findall(str(value or "0")))


def load_spec(path: Path) -> VaultSpec:
    import yaml
    from pydantic import ValidationError

    try:
        return VaultSpec.model_validate(yaml.safe_load(path.read_text()))
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise VaultError(f"cannot load the Vault spec {path}: {error}") from error


def read_password(connection: DatabaseConnection) -> str:
    """The root password from the connection's file or environment variable, never echoed."""
    if connection.password_file:
        try:
            return Path(connection.password_file).read_text().strip()
        except OSError as error:
            raise VaultError(
                f"database connection {connection.name!r}: cannot read its password file "
                f"{connection.password_file}: {error.strerror}"
            ) from error
    value = os.environ.get(connection.password_env or "", "")
    if not value:
        raise VaultError(
            f"database connection {connection.name!r}: environment variable "
            f"{connection.password_env} is empty or unset"
        )
    return value


def configure(
    client: hvac.Client,
    spec: VaultSpec,
    apply: bool = True,
    password: Callable[[DatabaseConnection], str] = read_password,
) -> list[Change]:
    """Bring Vault to `spec` (or, with apply=False, only report what would change).

    Items are applied in order; if one fails, the error names every item already written, so
    the operator knows exactly what changed (Vault has no transaction to roll back)."""
    changes: list[Change] = []
    try:
        for step in _steps(client, spec, apply, password):
            changes.append(step())
    except VaultError as error:
        done = [
            f"{c.kind} {c.name} ({c.action})" for c in changes if c.action is not Action.UNCHANGED
        ]
        applied = ("already applied: " + ", ".join(done)) if apply and done else "nothing applied"
        raise VaultError(f"{error}; {applied}") from error
    return changes


Step = Callable[[], Change]


def _steps(
    client: hvac.Client, spec: VaultSpec, apply: bool,
    password: Callable[[DatabaseConnection], str],
) -> list[Step]:  # fmt: skip
    """Each item as (what it is, how to apply it), in the order they depend on each other:
    the auth method and its config first, as the config is what fails outside Kubernetes."""
    k8s, db = spec.kubernetes_auth, spec.database
    steps: list[Step] = []

    def add(what: str, step: Step) -> None:
        steps.append(partial(_guarded, what, step))

    mount = partial(_mount, client)
    add(f"auth-method {k8s.path}", partial(mount, "auth-method", "sys/auth", k8s.path,
                                           "kubernetes", apply))  # fmt: skip
    add(f"auth-config {k8s.path}", partial(_apply_item, client, _auth_config(k8s), apply))
    for kv in spec.kv:
        add(f"secrets-engine {kv.path}", partial(mount, "secrets-engine", "sys/mounts",
            kv.path, "kv", apply, {"version": str(kv.version)}))  # fmt: skip
    for policy in spec.policies:
        item = _Item("policy", policy.name, f"sys/policies/acl/{policy.name}",
                     {"policy": policy.hcl.strip()}, {"policy": policy.hcl})  # fmt: skip
        add(f"policy {policy.name}", partial(_apply_item, client, item, apply))
    for role in k8s.roles:
        add(f"kubernetes-role {role.name}",
            partial(_apply_item, client, _k8s_role(k8s.path, role), apply))  # fmt: skip
    if db.connections or db.roles:
        add(f"secrets-engine {db.path}",
            partial(mount, "secrets-engine", "sys/mounts", db.path, "database", apply))  # fmt: skip
    for connection in db.connections:
        item = _connection(db.path, connection, partial(password, connection))
        add(f"database-connection {connection.name}", partial(_apply_item, client, item, apply))
    for db_role in db.roles:
        add(f"database-role {db_role.name}",
            partial(_apply_item, client, _db_role(db.path, db_role), apply))  # fmt: skip
    return steps


def _guarded(what: str, step: Step) -> Change:
    with vault_errors(what):
        return step()


def _auth_config(k8s: KubernetesAuth) -> _Item:
    desired: dict[str, Any] = {"kubernetes_host": k8s.kubernetes_host}
    if k8s.kubernetes_ca_cert_file:
        try:
            pem = Path(k8s.kubernetes_ca_cert_file).read_text()
        except OSError as error:
            raise VaultError(
                f"cannot read kubernetes_ca_cert_file {k8s.kubernetes_ca_cert_file}: "
                f"{error.strerror}"
            ) from error
        desired["kubernetes_ca_cert"] = pem.strip()
    return _Item("auth-config", k8s.path, f"auth/{k8s.path}/config", desired, desired)


def _mount(
    client: hvac.Client, kind: str, listing: str, path: str, type_: str, apply: bool,
    options: dict[str, str] | None = None,
) -> Change:  # fmt: skip
    mounts = client.read(listing) or {}
    current = (mounts.get("data") or mounts).get(f"{path}/")
    if current is not None:
        if current.get("type") != type_:
            raise VaultError(f"{listing}/{path} is a {current.get('type')} mount, not {type_}")
        have = current.get("options") or {}
        if options and any(str(have.get(k)) != v for k, v in options.items()):
            raise VaultError(f"{listing}/{path} has options {have}, the spec wants {options}")
        return Change(kind, path, Action.UNCHANGED)
    if apply:
        body: dict[str, Any] = {"type": type_} | ({"options": options} if options else {})
        client.write_data(f"{listing}/{path}", data=body)
    return Change(kind, path, Action.CREATED, ["type", *(["options"] if options else [])])


def _apply_item(client: hvac.Client, item: _Item, apply: bool) -> Change:
    current = client.read(item.path)
    if not isinstance(current, dict):
        if apply:
            extra = {"password": item.password()} if item.password else {}
            client.write_data(item.path, data=item.write | extra)
        return Change(item.kind, item.name, Action.CREATED, sorted(item.desired))
    differ = _differences(item.desired, current.get("data") or {})
    if differ and apply:
        client.write_data(item.path, data=item.write)
    return Change(item.kind, item.name, Action.UPDATED if differ else Action.UNCHANGED, differ)


def _differences(desired: dict[str, Any], current: dict[str, Any]) -> list[str]:
    flat = current | (current.get("connection_details") or {})
    return sorted(k for k, want in desired.items() if _normal(k, flat.get(k)) != _normal(k, want))


def _normal(key: str, value: Any) -> Any:
    if key.endswith(("ttl", "lifetime")):
        return seconds(value)
    if key in ("bound_service_account_names", "bound_service_account_namespaces",
               "token_policies", "allowed_roles"):  # fmt: skip
        items = value.split(",") if isinstance(value, str) else list(value or [])
        return sorted(i for i in items if i)
    if key == "policy":
        return str(value or "").strip()
    if key.endswith("statements"):
        return [s.strip() for s in (value or [])]
    return value if value is not None else ""


def _k8s_role(mount: str, role: KubernetesRole) -> _Item:
    desired = {
        "bound_service_account_names": role.bound_service_account_names,
        "bound_service_account_namespaces": role.bound_service_account_namespaces,
        "token_policies": role.token_policies,
        "token_ttl": role.token_ttl,
        "token_max_ttl": role.token_max_ttl,
        "audience": role.audience or "",
    }
    return _Item("kubernetes-role", role.name, f"auth/{mount}/role/{role.name}", desired, desired)


def _connection(mount: str, c: DatabaseConnection, password: Callable[[], str]) -> _Item:
    desired = {
        "plugin_name": c.plugin_name,
        "connection_url": c.connection_url,
        "username": c.username,
        "allowed_roles": c.allowed_roles,
        "max_open_connections": c.max_open_connections,
        "max_connection_lifetime": c.max_connection_lifetime,
    }
    write = desired | {"verify_connection": c.verify_connection}
    return _Item("database-connection", c.name, f"{mount}/config/{c.name}", desired, write,
                 password)  # fmt: skip


def _db_role(mount: str, role: DatabaseRole) -> _Item:
    desired = {
        "db_name": role.db_name,
        "creation_statements": role.creation_statements,
        "revocation_statements": role.revocation_statements,
        "renew_statements": role.renew_statements,
        "default_ttl": role.default_ttl,
        "max_ttl": role.max_ttl,
    }
    return _Item("database-role", role.name, f"{mount}/roles/{role.name}", desired, desired)
