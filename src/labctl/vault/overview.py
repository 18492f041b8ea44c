"""`labctl vault status`: every replica's state, the Raft peers, the failures Vault survives.

Replaces the runbook's `kubectl exec vault-N -- vault status` per pod: one read of sys/health and
sys/seal-status per replica (unauthenticated), and, with a token, the Raft configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labctl.vault.connection import VaultNode
from labctl.vault.errors import VaultError
from labctl.vault.status import (
    Quorum,
    RaftPeer,
    ReplicaState,
    ReplicaStatus,
    peers_quorum,
    quorum,
    raft_peers,
    replica_status,
)


@dataclass(frozen=True)
class Replica:
    name: str
    status: ReplicaStatus
    error: str | None = None  # why the replica could not be read


@dataclass(frozen=True)
class Overview:
    replicas: list[Replica]
    peers: list[RaftPeer] | None  # None: not read (no token, or no unsealed replica)
    quorum: Quorum | None  # None: voters unknown (one address, no token)
    quorum_from_peers: bool  # False: assumed every replica is a voter
    warnings: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(r.status.state.unsealed for r in self.replicas) and any(
            r.status.state is ReplicaState.ACTIVE for r in self.replicas
        )


def read_replica(node: VaultNode) -> Replica:
    try:
        health = node.call("GET", "sys/health")
        seal = node.call("GET", "sys/seal-status")
    except VaultError as error:
        return Replica(node.name, replica_status(), str(error))
    if "kind" in health.body:  # the API server answered: the pod is not serving
        return Replica(node.name, replica_status(), health.errors)
    seal_body = seal.body if seal.status == 200 else None
    return Replica(node.name, replica_status(health.status, health.body, seal_body))


def read_peers(replicas: list[Replica], nodes: list[VaultNode], token: str) -> list[RaftPeer]:
    """The Raft configuration, from the active replica (any unsealed one will forward)."""
    order = sorted(
        zip(replicas, nodes, strict=True),
        key=lambda rn: rn[0].status.state is not ReplicaState.ACTIVE,
    )
    for replica, node in order:
        if replica.status.state.unsealed:
            reply = node.call("GET", "sys/storage/raft/configuration", token=token)
            if reply.status != 200:
                raise VaultError(f"reading the Raft configuration on {node.name}: {reply.errors}")
            return raft_peers(reply.body)
    raise VaultError("no unsealed replica to read the Raft configuration from")


def read_overview(
    nodes: list[VaultNode], token: str | None = None, replicas_vote: bool = True
) -> Overview:
    """Read every node; `replicas_vote`: without peers, count each node as a voter (true for
    a StatefulSet's pods, not for one address behind a Service)."""
    replicas = [read_replica(n) for n in nodes]
    warnings: list[str] = []
    peers: list[RaftPeer] | None = None
    if token:
        try:
            peers = read_peers(replicas, nodes, token)
        except VaultError as error:
            warnings.append(f"Raft peers unknown: {error}")
    q = peers_quorum(peers) if peers is not None else None
    if q is None and replicas_vote:
        q = quorum(len(replicas))
    warnings += judge(replicas, peers, q)
    return Overview(replicas, peers, q, peers is not None, warnings)


def judge(replicas: list[Replica], peers: list[RaftPeer] | None, q: Quorum | None) -> list[str]:
    """What an operator should know, worst first."""
    states = [r.status.state for r in replicas]
    notes: list[str] = []
    if replicas and ReplicaState.ACTIVE not in states and any(s.unsealed for s in states):
        notes.append(
            "no replica is active although some are unsealed: Raft may have lost quorum "
            "(see `labctl vault recover-raft`)"
        )
    for r in replicas:
        if r.status.state is ReplicaState.SEALED and r.status.auto_unseal:
            notes.append(
                f"{r.name} is sealed under auto-unseal ({r.status.seal_type}): the KMS key is "
                "unreachable or denied; recovery keys cannot unseal it (check KMS access)"
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
