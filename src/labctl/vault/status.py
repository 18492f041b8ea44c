"""Vault's state, parsed from its own HTTP answers. Pure: no I/O, no clock, no third-party imports.

Inputs are the unchanged bodies of Vault's endpoints (shared reference ops-apis.md, section 1):

- `sys/health` status code and body -> `ReplicaState` (the code alone works for HEAD requests);
- `sys/seal-status` body -> seal type, recovery seal, threshold/progress, version;
- `sys/storage/raft/configuration` -> `RaftPeer`s (voter, leader);
- `sys/storage/raft/autopilot/state` -> `AutopilotState` (PascalCase before 1.11, snake_case after);
- voter counts -> `Quorum` (size, failure tolerance; two voters tolerate zero failures).

Used by `labctl vault` and by the health checks, so the same words describe the same state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

JsonObject = Mapping[str, Any]


class ReplicaState(StrEnum):
    """What one Vault server is doing, from most to least serving."""

    ACTIVE = "active"
    STANDBY = "standby"
    PERF_STANDBY = "perf-standby"
    DR_SECONDARY = "dr-secondary"
    # A standby that cannot reach the active node (sys/health 474, Vault 1.18+).
    STANDBY_DISCONNECTED = "standby-disconnected"
    SEALED = "sealed"
    UNINITIALIZED = "uninitialized"
    REMOVED = "removed"  # removed from the Raft cluster (sys/health 530, Vault 1.19+)
    UNKNOWN = "unknown"  # unreachable, or an answer we cannot read

    @property
    def unsealed(self) -> bool:
        return self in _UNSEALED


_UNSEALED = frozenset(
    {
        ReplicaState.ACTIVE,
        ReplicaState.STANDBY,
        ReplicaState.PERF_STANDBY,
        ReplicaState.DR_SECONDARY,
        ReplicaState.STANDBY_DISCONNECTED,
    }
)

# sys/health's default status codes (without query overrides).
HEALTH_CODES: Mapping[int, ReplicaState] = {
    200: ReplicaState.ACTIVE,
    429: ReplicaState.STANDBY,
    472: ReplicaState.DR_SECONDARY,
    473: ReplicaState.PERF_STANDBY,
    474: ReplicaState.STANDBY_DISCONNECTED,
    501: ReplicaState.UNINITIALIZED,
    503: ReplicaState.SEALED,
    530: ReplicaState.REMOVED,
}

# Seal types whose keys live outside Vault: the operator holds recovery keys, not unseal keys.
AUTO_UNSEAL_TYPES = frozenset(
    {"awskms", "azurekeyvault", "gcpckms", "ocikms", "alicloudkms", "transit", "pkcs11", "kmip"}
    | {"static"}  # OpenBao's key-file seal
)


@dataclass(frozen=True)
class ReplicaStatus:
    """One Vault server's state, from sys/health and sys/seal-status (either may be missing)."""

    state: ReplicaState
    initialized: bool | None = None
    sealed: bool | None = None
    seal_type: str | None = None  # "shamir", "awskms", ...
    recovery_seal: bool = False  # keys held by the operator are recovery keys, not unseal keys
    version: str | None = None
    threshold: int | None = None  # `t`: keys needed (recovery keys under auto-unseal)
    shares: int | None = None  # `n`
    progress: int = 0  # keys entered so far in the current unseal
    migration: bool = False  # a seal migration is in progress: unseal needs `migrate`
    storage_type: str | None = None
    cluster_name: str | None = None

    @property
    def auto_unseal(self) -> bool:
        """True when a KMS (or another external seal) holds the key and the keys held are
        recovery keys (they unseal an operator-sealed node only while the seal works)."""
        return self.recovery_seal or (self.seal_type or "") in AUTO_UNSEAL_TYPES


def state_from_health(code: int | None, body: JsonObject | None = None) -> ReplicaState:
    """The state a sys/health answer describes.

    The body wins over the code, because query overrides (`standbyok`, `sealedcode`, ...) change
    the code but never the body; HEAD requests have only the code.
    """
    if code == 530:
        return ReplicaState.REMOVED
    if body:
        if body.get("initialized") is False:
            return ReplicaState.UNINITIALIZED
        if body.get("sealed") is True:
            return ReplicaState.SEALED
        if str(body.get("replication_dr_mode", "")).startswith("secondary"):
            return ReplicaState.DR_SECONDARY
        if body.get("performance_standby") is True:
            return ReplicaState.PERF_STANDBY
        if code == 474:
            return ReplicaState.STANDBY_DISCONNECTED
        if body.get("standby") is True:
            return ReplicaState.STANDBY
        if body.get("standby") is False and "sealed" in body:
            return ReplicaState.ACTIVE
    return HEALTH_CODES.get(code or 0, ReplicaState.UNKNOWN)


def replica_status(
    health_code: int | None = None,
    health: JsonObject | None = None,
    seal_status: JsonObject | None = None,
) -> ReplicaStatus:
    """Combine what is known about one server. Missing answers give `None` fields, never guesses."""
    health = health or {}
    seal = seal_status or {}
    state = state_from_health(health_code, health)
    if seal.get("removed_from_cluster") is True:
        state = ReplicaState.REMOVED
    elif state is ReplicaState.UNKNOWN and seal:
        state = _state_from_seal(seal)
    return ReplicaStatus(
        state=state,
        initialized=_bool(seal.get("initialized", health.get("initialized"))),
        sealed=_bool(seal.get("sealed", health.get("sealed"))),
        seal_type=seal.get("type"),
        recovery_seal=seal.get("recovery_seal") is True,
        version=seal.get("version") or health.get("version"),
        threshold=_int(seal.get("t")),
        shares=_int(seal.get("n")),
        progress=_int(seal.get("progress")) or 0,
        migration=seal.get("migration") is True,
        storage_type=seal.get("storage_type"),
        cluster_name=seal.get("cluster_name") or health.get("cluster_name"),
    )


def _state_from_seal(seal: JsonObject) -> ReplicaState:
    # seal-status alone cannot tell active from standby.
    if seal.get("initialized") is False:
        return ReplicaState.UNINITIALIZED
    if seal.get("sealed") is True:
        return ReplicaState.SEALED
    return ReplicaState.UNKNOWN


# --- Raft ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RaftPeer:
    node_id: str
    address: str  # host:cluster-port (8201)
    leader: bool
    voter: bool


def raft_peers(configuration: JsonObject) -> list[RaftPeer]:
    """Peers from a sys/storage/raft/configuration body (with or without the `data` wrapper)."""
    data = configuration.get("data", configuration)
    servers = (data.get("config") or {}).get("servers") or []
    return [
        RaftPeer(
            node_id=str(s.get("node_id", "")),
            address=str(s.get("address", "")),
            leader=s.get("leader") is True,
            voter=s.get("voter", True) is not False,
        )
        for s in servers
    ]


@dataclass(frozen=True)
class Quorum:
    """Raft's majority rule for a number of voters (ops-apis 1.4, deployment table)."""

    voters: int
    size: int  # votes needed to commit: floor(n/2) + 1
    failure_tolerance: int  # voters that may fail with the cluster still writable

    @property
    def even(self) -> bool:
        """An even voter count buys no tolerance over one voter fewer (2 tolerates 0, like 1)."""
        return self.voters > 0 and self.voters % 2 == 0

    def holds(self, healthy_voters: int) -> bool:
        return healthy_voters >= self.size


def quorum(voters: int) -> Quorum:
    if voters < 0:
        raise ValueError("a voter count cannot be negative")
    size = voters // 2 + 1
    return Quorum(voters=voters, size=size, failure_tolerance=max(0, voters - size))


def peers_quorum(peers: list[RaftPeer]) -> Quorum:
    return quorum(sum(1 for p in peers if p.voter))


# --- Autopilot ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AutopilotServer:
    id: str
    name: str
    address: str
    node_status: str  # "alive", "left", ...
    healthy: bool
    status: str  # "leader", "voter", "non-voter", ...
    version: str | None = None


@dataclass(frozen=True)
class AutopilotState:
    healthy: bool
    failure_tolerance: int
    leader: str | None
    voters: list[str]
    non_voters: list[str] = field(default_factory=list)
    servers: dict[str, AutopilotServer] = field(default_factory=dict)


def autopilot_state(body: JsonObject) -> AutopilotState:
    """Parse sys/storage/raft/autopilot/state in either casing (PascalCase in 1.8-1.10)."""
    data = _pick(body, "data") or body
    servers: dict[str, AutopilotServer] = {}
    for key, raw in (_pick(data, "servers") or {}).items():
        servers[key] = AutopilotServer(
            id=str(_pick(raw, "id") or key),
            name=str(_pick(raw, "name") or key),
            address=str(_pick(raw, "address") or ""),
            node_status=str(_pick(raw, "node_status") or ""),
            healthy=_pick(raw, "healthy") is True,
            status=str(_pick(raw, "status") or ""),
            version=_pick(raw, "version"),
        )
    return AutopilotState(
        healthy=_pick(data, "healthy") is True,
        failure_tolerance=_int(_pick(data, "failure_tolerance")) or 0,
        leader=_pick(data, "leader"),
        voters=list(_pick(data, "voters") or []),
        non_voters=list(_pick(data, "non_voters") or []),
        servers=servers,
    )


def _pick(obj: JsonObject, snake: str) -> Any:
    """obj[snake], obj[PascalCase] or obj[UPPER] (`FailureTolerance`, `ID`)."""
    for key in (snake, "".join(part.capitalize() for part in snake.split("_")), snake.upper()):
        if key in obj:
            return obj[key]
    return None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
