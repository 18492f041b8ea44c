"""Vault: each replica's seal and HA state, an active replica, and Raft fault tolerance.

Inputs are the raw bodies of `sys/health` and `sys/seal-status` per Vault pod
(`extras/vault/<pod>/...`), read through the API server's pod proxy. Their meaning comes from
`labctl.vault.status`, so `labctl vault` and these checks use the same words for a state.
"""

from __future__ import annotations

from collections.abc import Iterator

from labctl.checks.model import Severity, Subject, Unknown, Verdict, check
from labctl.cluster.snapshot import NotCollected, Obj, Snapshot
from labctl.vault.status import ReplicaState, ReplicaStatus, quorum, replica_status

Results = Iterator[tuple[Subject, Verdict]]


def _replicas(snap: Snapshot) -> dict[str, ReplicaStatus | Unknown]:
    """Each Vault pod's state, or why it could not be read."""
    pods = sorted({p.split("/")[1] for p in snap.extra_paths("vault/") if p.count("/") == 2})
    if not pods:
        raise NotCollected("vault", snap.why_missing("vault"))
    states: dict[str, ReplicaStatus | Unknown] = {}
    for pod in pods:
        health: Obj | None = snap.read_extra(f"vault/{pod}/sys-health.json")
        seal: Obj | None = snap.read_extra(f"vault/{pod}/sys-seal-status.json")
        if health is None and seal is None:
            states[pod] = Unknown(snap.why_missing(f"vault/{pod}/sys-health.json"))
        else:
            code = snap.extra_status(f"vault/{pod}/sys-health.json")
            states[pod] = replica_status(code, health, seal)
    return states


def _subject(pod: str) -> str:
    return f"Pod/vault/{pod}"


@check(
    "LAB-301",
    "vault-sealed",
    area="vault",
    severity=Severity.CRITICAL,
    summary="A Vault replica is sealed and serves no requests.",
    hint="labctl vault status; auto-unseal: is the KMS key reachable (kubectl logs -n vault "
    "{name})? Shamir: labctl vault unseal {name}",
)
def vault_sealed(snap: Snapshot) -> Results:
    for pod, state in _replicas(snap).items():
        if isinstance(state, Unknown):
            yield _subject(pod), state
        elif state.state is ReplicaState.SEALED:
            yield _subject(pod), f"Vault replica {pod} is sealed ({state.seal_type} seal)"
        else:
            yield _subject(pod), None


@check(
    "LAB-302",
    "vault-uninitialized",
    area="vault",
    severity=Severity.CRITICAL,
    summary="A Vault replica is not initialized (a fresh data volume or a replica that never "
    "joined Raft).",
    hint="labctl vault status; join it to the Raft cluster or initialize a new Vault",
)
def vault_uninitialized(snap: Snapshot) -> Results:
    for pod, state in _replicas(snap).items():
        if isinstance(state, Unknown):
            yield _subject(pod), state
        elif state.state is ReplicaState.UNINITIALIZED:
            yield _subject(pod), f"Vault replica {pod} is not initialized"
        else:
            yield _subject(pod), None


@check(
    "LAB-303",
    "vault-no-active",
    area="vault",
    severity=Severity.CRITICAL,
    summary="No Vault replica is active: Vault serves no requests.",
    hint="labctl vault status; unseal the replicas, or labctl vault recover-raft if quorum is lost",
)
def vault_no_active(snap: Snapshot) -> Results:
    states = _replicas(snap)
    # seal-status alone cannot tell active from standby: such a replica's role is unknown.
    unread = [
        p for p, s in states.items() if isinstance(s, Unknown) or s.state is ReplicaState.UNKNOWN
    ]
    if any(
        isinstance(s, ReplicaStatus) and s.state is ReplicaState.ACTIVE for s in states.values()
    ):
        yield "Vault", None
    elif unread:
        which = ", ".join(unread)
        yield "Vault", Unknown(f"no active replica among those read; no sys/health from {which}")
    else:
        summary = ", ".join(
            f"{p} {s.state.value}" for p, s in states.items() if isinstance(s, ReplicaStatus)
        )
        yield "Vault", f"no Vault replica is active ({summary})"


@check(
    "LAB-304",
    "vault-raft-no-fault-tolerance",
    area="vault",
    severity=Severity.WARNING,
    summary="Vault's Raft cluster has fewer than 3 voters or an even number of them, so it "
    "tolerates no more failures than one replica fewer would.",
    hint="run 3 (or 5) Vault replicas: vault.replicas in cluster.yaml, then labctl render",
)
def vault_raft_fault_tolerance(snap: Snapshot) -> Results:
    states = _replicas(snap)
    storage = {s.storage_type for s in states.values() if isinstance(s, ReplicaStatus)}
    if storage and "raft" not in storage and None not in storage:
        yield "Vault", None
        return
    voters = len(states)
    rule = quorum(voters)
    tolerance = rule.failure_tolerance
    if voters >= 3 and not rule.even:
        yield "Vault", None
        return
    names = ", ".join(states)
    yield (
        "Vault",
        (
            f"Vault runs {voters} Raft voter{'s' if voters != 1 else ''} ({names}): quorum is "
            f"{rule.size}, it tolerates {tolerance} failure{'s' if tolerance != 1 else ''}"
        ),
    )


_DEGRADED = {
    ReplicaState.STANDBY_DISCONNECTED: "is a standby that cannot reach the active replica",
    ReplicaState.REMOVED: "was removed from the Raft cluster",
    ReplicaState.UNKNOWN: "gave an answer that could not be read",
}


def _health_read(snap: Snapshot, pod: str, state: ReplicaStatus) -> bool:
    """UNKNOWN from an unreadable sys/health answer, not from one never read (seal-status only)."""
    return state.state is not ReplicaState.UNKNOWN or (
        snap.read_extra(f"vault/{pod}/sys-health.json") is not None
    )


@check(
    "LAB-305",
    "vault-replica-degraded",
    area="vault",
    severity=Severity.WARNING,
    summary="A Vault replica is a standby cut off from the active one (sys/health 474), was "
    "removed from Raft (530), or answers unreadably.",
    hint="labctl vault status; kubectl logs -n vault {name}",
)
def vault_replica_degraded(snap: Snapshot) -> Results:
    for pod, state in _replicas(snap).items():
        if isinstance(state, Unknown):
            yield _subject(pod), state
        elif state.state in _DEGRADED and _health_read(snap, pod, state):
            yield _subject(pod), f"Vault replica {pod} {_DEGRADED[state.state]}"
        else:
            yield _subject(pod), None
