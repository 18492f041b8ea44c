"""`labctl vault db`: the database secrets engine's connections, roles, root rotation and leases.

Replaces the runbook's `vault list/read database/config|roles`, `vault write -force
database/rotate-root/<name>`, `vault list sys/leases/lookup/database/creds/<role>` and
`vault lease revoke -prefix`. The destructive two build a `DbAction` that the CLI shows and
confirms before `run()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labctl.vault.configure import seconds
from labctl.vault.connection import vault_errors
from labctl.vault.unseal import Waiter

if TYPE_CHECKING:
    import hvac


@dataclass(frozen=True)
class Connection:
    name: str
    plugin_name: str
    connection_url: str  # with {{username}}/{{password}} placeholders: no secret
    username: str
    allowed_roles: list[str]


@dataclass(frozen=True)
class Role:
    name: str
    db_name: str
    default_ttl: int
    max_ttl: int


@dataclass(frozen=True)
class Engine:
    mount: str
    connections: list[Connection] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)


def _keys(client: hvac.Client, path: str) -> list[str]:
    listed = client.list(path) or {}
    return [str(k) for k in (listed.get("data") or {}).get("keys") or []]


def _data(client: hvac.Client, path: str) -> dict[str, Any]:
    read = client.read(path) or {}
    data = read.get("data") if isinstance(read, dict) else None
    return data if isinstance(data, dict) else {}


def read_engine(client: hvac.Client, mount: str = "database") -> Engine:
    with vault_errors(f"reading the {mount} secrets engine"):
        connections = []
        for name in _keys(client, f"{mount}/config"):
            data = _data(client, f"{mount}/config/{name}")
            details = data.get("connection_details") or {}
            connections.append(
                Connection(
                    name=name,
                    plugin_name=str(data.get("plugin_name", "")),
                    connection_url=str(details.get("connection_url", "")),
                    username=str(details.get("username", "")),
                    allowed_roles=list(data.get("allowed_roles") or []),
                )
            )
        roles = []
        for name in _keys(client, f"{mount}/roles"):
            data = _data(client, f"{mount}/roles/{name}")
            ttl, max_ttl = seconds(data.get("default_ttl")), seconds(data.get("max_ttl"))
            roles.append(Role(name, str(data.get("db_name", "")), ttl, max_ttl))
    return Engine(mount, connections, roles)


def leases(client: hvac.Client, role: str, mount: str = "database") -> list[str]:
    """Lease ids issued for `role` (needs a token with sudo on sys/leases/lookup)."""
    prefix = f"{mount}/creds/{role}"
    with vault_errors(f"listing the leases of {prefix}"):
        return [f"{prefix}/{key}" for key in _keys(client, f"sys/leases/lookup/{prefix}/")]


@dataclass(frozen=True)
class DbAction:
    """A destructive call, described before it runs."""

    verb: str
    path: str
    consequence: str

    def run(self, client: hvac.Client) -> None:
        with vault_errors(f"{self.verb} {self.path}"):
            client.write_data(self.path, data={})


def rotate_root(connection: str, mount: str = "database") -> DbAction:
    return DbAction(
        "POST",
        f"{mount}/rotate-root/{connection}",
        f"Vault sets a new random password for the root user of connection {connection!r}. "
        "Afterwards only Vault knows it: the password in your secret store stops working, and "
        "`labctl vault configure` keeps the rotated one (it sends passwords only on create).",
    )


def revoke_prefix(role: str, count: int, mount: str = "database") -> DbAction:
    return DbAction(
        "POST",
        f"sys/leases/revoke-prefix/{mount}/creds/{role}",
        f"Revokes {count} lease(s) of role {role!r}: Vault drops those database users, and "
        "every app using them loses database access until its Vault Agent fetches new "
        "credentials, at its next renewal (an outage; --rollout avoids it).",
    )


# --- revocation without an outage ----------------------------------------------------------


@dataclass(frozen=True)
class Renewal:
    """Revoke a role's leases only after its consumers hold new ones.

    Revoking first (`revoke-prefix`) drops the database users the apps are logged in with,
    and each app fails until its Vault Agent notices at its next renewal (measured: about 20 s
    of 503s). Here the consumers are renewed first (their pods rolled one at a time, each new
    pod's agent fetching a new lease), then only the leases that existed before are revoked.
    """

    role: str
    old: list[str]  # lease ids to revoke, listed before the renewal
    new_expected: int  # leases the renewed consumers hold (one per pod)
    mount: str = "database"

    @property
    def consequence(self) -> str:
        return (
            f"Renews the consumers first (each gets a new lease of {self.role!r}), waits until "
            f"{self.new_expected} new lease(s) exist and the apps had time to switch, then "
            f"revokes the {len(self.old)} lease(s) listed now, one by one. A consumer that was "
            "not renewed and still uses an old lease loses database access."
        )


def plan_renewal(
    client: hvac.Client, role: str, consumers: int, mount: str = "database"
) -> Renewal:
    return Renewal(role, leases(client, role, mount), consumers, mount)


def renew_then_revoke(
    client: hvac.Client,
    plan: Renewal,
    renew: Callable[[], None],
    wait: Waiter,
    grace: float,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Run the renewal, wait for the new leases and `grace` seconds, revoke the old ones."""
    renew()
    old = set(plan.old)

    def renewed() -> bool:
        fresh = set(leases(client, plan.role, plan.mount)) - old
        return len(fresh) >= plan.new_expected

    wait.until(f"{plan.new_expected} new lease(s) of {plan.role}", renewed)
    sleep(grace)  # the apps re-read their credentials file (TaskApp: every second)
    with vault_errors("revoking the old leases"):
        for lease in plan.old:
            client.write_data("sys/leases/revoke", data={"lease_id": lease})
    return plan.old
