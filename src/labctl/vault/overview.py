"""`labctl vault status`: every replica's state, the Raft peers, the failures Vault survives.

Replaces the runbook's `kubectl exec vault-N -- vault status` per pod: one read of sys/health and
sys/seal-status per replica (unauthenticated), and, with a token, the Raft configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labctl.vault.connection import VaultNode
from labctl.vault.errors import VaultError
from labctl.vault.status import (
    AutopilotState,
    Quorum,
    RaftPeer,
    ReplicaState,
    ReplicaStatus,
    autopilot_state,
    peers_quorum,
    quorum,
    raft_peers,
    replica_status,
)

RAFT_CONFIGURATION = "sys/storage/raft/configuration"
AUTOPILOT = "sys/storage/raft/autopilot/state"


@dataclass(frozen=True)
class Replica:
    name: str
    status: ReplicaStatus
    error: str | None = None  # why the replica could not be read
    unreachable: bool = False  # no answer at all (not even from the API server on the way)


@dataclass(frozen=True)
class Overview:
    replicas: list[Replica]
    peers: list[RaftPeer] | None  # None: not read (no token, or no unsealed replica)
    quorum: Quorum | None  # None: voters unknown (one address, no token)
    quorum_from_peers: bool  # False: assumed every replica is a voter
    warnings: list[str] = field(default_factory=list)
    autopilot: AutopilotState | None = None  # with a token, on Vault 1.7+
    quorum_lost: bool = False  # no leader: Raft cannot commit, whatever the voter count says
    whole_cluster: bool = True  # every server was read (pods), not one address

    @property
    def healthy(self) -> bool:
        if self.quorum_lost or not all(r.status.state.unsealed for r in self.replicas):
            return False
        # One address may be a standby: healthy when it serves, as its leader exists.
        return not self.whole_cluster or any(
            r.status.state is ReplicaState.ACTIVE for r in self.replicas
        )


def read_replica(node: VaultNode) -> Replica:
    try:
        health = node.call("GET", "sys/health")
        seal = node.call("GET", "sys/seal-status")
    except VaultError as error:
        return Replica(node.name, replica_status(), str(error), unreachable=True)
    if "kind" in health.body:  # the API server answered: the pod is not serving
        return Replica(node.name, replica_status(), health.errors)
    seal_body = seal.body if seal.status == 200 else None
    return Replica(node.name, replica_status(health.status, health.body, seal_body))


def read_authenticated(
    replicas: list[Replica], nodes: list[VaultNode], token: str, path: str
) -> dict[str, Any]:
    """GET `path` from the active replica (any unsealed one forwards to it)."""
    order = sorted(
        zip(replicas, nodes, strict=True),
        key=lambda rn: rn[0].status.state is not ReplicaState.ACTIVE,
    )
    for replica, node in order:
        if replica.status.state.unsealed:
            reply = node.call("GET", path, token=token)
            if reply.status != 200:
                raise VaultError(f"reading {path} on {node.name}: {reply.errors}")
            return reply.body
    raise VaultError(f"no unsealed replica to read {path} from")


def read_overview(
    nodes: list[VaultNode], token: str | None = None, replicas_vote: bool = True
) -> Overview:
    """Read every node; `replicas_vote`: without peers, count each node as a voter (true for
    a StatefulSet's pods, not for one address behind a Service)."""
    replicas = [read_replica(n) for n in nodes]
    if replicas and all(r.unreachable for r in replicas):
        raise VaultError(replicas[0].error or "Vault cannot be reached")
    warnings: list[str] = []
    peers: list[RaftPeer] | None = None
    autopilot: AutopilotState | None = None
    no_leader = False
    if token:
        try:
            peers = raft_peers(read_authenticated(replicas, nodes, token, RAFT_CONFIGURATION))
            autopilot = autopilot_state(read_authenticated(replicas, nodes, token, AUTOPILOT))
        except VaultError as error:
            # A standby answers 500 "active cluster node not found" when Raft has no leader.
            no_leader = "active cluster node not found" in str(error)
            if not no_leader:
                warnings.append(f"Raft {'autopilot' if peers else 'peers'} unknown: {error}")
    q = peers_quorum(peers) if peers is not None else None
    if q is None and replicas_vote:
        q = quorum(len(replicas))
    active = any(r.status.state is ReplicaState.ACTIVE for r in replicas)
    unsealed = any(r.status.state.unsealed for r in replicas)
    lost = not active and (no_leader or (replicas_vote and unsealed))
    if lost:
        warnings.append(
            "quorum lost: no server is active, so Vault serves no request. Start the stopped "
            "voters (or, if they are gone for good, see `labctl vault recover-raft`)"
        )
    warnings += judge(replicas, peers, q) + _autopilot_notes(autopilot, q)
    return Overview(replicas, peers, q, peers is not None, warnings, autopilot, lost, replicas_vote)


def _autopilot_notes(autopilot: AutopilotState | None, q: Quorum | None) -> list[str]:
    if autopilot is None:
        return []
    notes = []
    joining = set(autopilot.non_voters) | {
        s.name for s in autopilot.servers.values() if s.status == "non-voter"
    }
    if joining:
        notes.append(
            f"autopilot: {', '.join(sorted(joining))} joined as non-voter(s) and "
            "become voters once stable (server_stabilization_time, 10 s by default); until "
            "then they do not count towards quorum"
        )
    if not autopilot.healthy:
        sick = [s.name for s in autopilot.servers.values() if not s.healthy]
        notes.append(f"autopilot: the cluster is unhealthy ({', '.join(sick) or 'no detail'})")
    if q is not None and autopilot.failure_tolerance < q.failure_tolerance:
        notes.append(
            f"autopilot: only {autopilot.failure_tolerance} failure(s) tolerated right now "
            "(a voter is unhealthy)"
        )
    return notes


def judge(replicas: list[Replica], peers: list[RaftPeer] | None, q: Quorum | None) -> list[str]:
    """What an operator should know, worst first."""
    notes: list[str] = []
    for r in replicas:
        if r.status.state is ReplicaState.SEALED and r.status.auto_unseal:
            notes.append(
                f"{r.name} is sealed under auto-unseal ({r.status.seal_type}): if an operator "
                f"sealed it, `labctl vault unseal {r.name}` takes the recovery keys; if it "
                "stays sealed after a restart, its seal (KMS key) is unreachable or denied"
            )
        elif r.status.state is ReplicaState.SEALED:
            notes.append(f"{r.name} is sealed: run `labctl vault unseal {r.name}`")
        elif r.status.state in (ReplicaState.UNKNOWN, ReplicaState.UNINITIALIZED):
            notes.append(
                f"{r.name} is {r.status.state.value}" + (f": {r.error}" if r.error else "")
            )
    if q is not None:
        notes += _quorum_notes(q)
    if peers is not None and sum(p.leader for p in peers) != 1:
        notes.append("the Raft configuration does not name exactly one leader")
    versions = {r.status.version for r in replicas if r.status.version}
    if len(versions) > 1:
        notes.append(f"replicas run different versions: {', '.join(sorted(versions))}")
    return notes


def _quorum_notes(q: Quorum) -> list[str]:
    if q.voters and q.failure_tolerance == 0:
        return [f"{q.voters} voter(s) tolerate no failure: losing one stops Vault; run 3 replicas"]
    if q.even:
        return [f"{q.voters} voters tolerate no more failures than {q.voters - 1}"]
    return []
