"""Parsing Vault's own answers into replica states, peers and quorum numbers."""

from __future__ import annotations

import pytest

from labctl.vault.status import (
    ReplicaState,
    autopilot_state,
    peers_quorum,
    quorum,
    raft_peers,
    replica_status,
    state_from_health,
)

HEALTH_ACTIVE = {"initialized": True, "sealed": False, "standby": False, "version": "1.18.3"}
HEALTH_STANDBY = {**HEALTH_ACTIVE, "standby": True}
SEAL_AWSKMS = {
    "type": "awskms",
    "initialized": True,
    "sealed": True,
    "t": 3,
    "n": 5,
    "progress": 0,
    "version": "1.18.3",
    "recovery_seal": True,
    "storage_type": "raft",
}


@pytest.mark.parametrize(
    ("code", "state"),
    [
        (200, ReplicaState.ACTIVE),
        (429, ReplicaState.STANDBY),
        (472, ReplicaState.DR_SECONDARY),
        (473, ReplicaState.PERF_STANDBY),
        (474, ReplicaState.STANDBY_DISCONNECTED),
        (501, ReplicaState.UNINITIALIZED),
        (503, ReplicaState.SEALED),
        (530, ReplicaState.REMOVED),
        (500, ReplicaState.UNKNOWN),
        (None, ReplicaState.UNKNOWN),
    ],
)
def test_health_code_alone_names_the_state(code: int | None, state: ReplicaState) -> None:
    assert state_from_health(code) is state


def test_health_body_wins_over_overridden_codes() -> None:
    # ?standbyok=true turns a standby's 429 into 200; the body still says standby.
    assert state_from_health(200, HEALTH_STANDBY) is ReplicaState.STANDBY
    assert state_from_health(200, {**HEALTH_ACTIVE, "sealed": True}) is ReplicaState.SEALED
    assert state_from_health(200, {"initialized": False, "sealed": True}) is (
        ReplicaState.UNINITIALIZED
    )
    perf = {**HEALTH_STANDBY, "performance_standby": True}
    assert state_from_health(200, perf) is ReplicaState.PERF_STANDBY
    dr = {**HEALTH_ACTIVE, "replication_dr_mode": "secondary"}
    assert state_from_health(200, dr) is ReplicaState.DR_SECONDARY
    assert state_from_health(200, HEALTH_ACTIVE) is ReplicaState.ACTIVE


def test_sealed_auto_unsealed_replica_reports_recovery_seal() -> None:
    status = replica_status(503, {"initialized": True, "sealed": True}, SEAL_AWSKMS)
    assert status.state is ReplicaState.SEALED
    assert not status.state.unsealed
    assert (status.seal_type, status.threshold, status.shares) == ("awskms", 3, 5)
    assert status.auto_unseal and status.recovery_seal
    assert status.version == "1.18.3" and status.storage_type == "raft"


def test_shamir_replica_is_not_auto_unseal() -> None:
    seal = {**SEAL_AWSKMS, "type": "shamir", "recovery_seal": False, "progress": 2}
    status = replica_status(503, None, seal)
    assert status.state is ReplicaState.SEALED
    assert not status.auto_unseal and status.progress == 2


def test_seal_status_alone_never_claims_active() -> None:
    unsealed = {**SEAL_AWSKMS, "sealed": False}
    assert replica_status(None, None, unsealed).state is ReplicaState.UNKNOWN
    assert replica_status(None, None, {"initialized": False}).state is ReplicaState.UNINITIALIZED
    removed = {**SEAL_AWSKMS, "removed_from_cluster": True}
    assert replica_status(429, HEALTH_STANDBY, removed).state is ReplicaState.REMOVED


def test_missing_answers_stay_unknown() -> None:
    status = replica_status()
    assert status.state is ReplicaState.UNKNOWN
    assert status.initialized is None and status.sealed is None and status.version is None


def test_raft_peers_parse_with_and_without_data_wrapper() -> None:
    servers = [
        {"address": "vault-0.vault-internal:8201", "leader": True, "node_id": "vault-0",
         "protocol_version": "\u0003", "voter": True},
        {"address": "vault-1.vault-internal:8201", "leader": False, "node_id": "vault-1",
         "protocol_version": "\u0003", "voter": False},
    ]  # fmt: skip
    wrapped = {"data": {"config": {"index": 24, "servers": servers}}}
    peers = raft_peers(wrapped)
    assert [(p.node_id, p.leader, p.voter) for p in peers] == [
        ("vault-0", True, True),
        ("vault-1", False, False),
    ]
    assert raft_peers({"config": {"servers": servers}}) == peers
    assert peers_quorum(peers).voters == 1


@pytest.mark.parametrize(
    ("voters", "size", "tolerance"),
    [(1, 1, 0), (2, 2, 0), (3, 2, 1), (4, 3, 1), (5, 3, 2), (6, 4, 2), (7, 4, 3)],
)
def test_quorum_matches_the_raft_deployment_table(voters: int, size: int, tolerance: int) -> None:
    q = quorum(voters)
    assert (q.size, q.failure_tolerance) == (size, tolerance)
    assert q.even == (voters % 2 == 0)


def test_two_voters_tolerate_no_failure() -> None:
    q = quorum(2)
    assert q.failure_tolerance == 0 and q.even
    assert q.holds(2) and not q.holds(1)
    with pytest.raises(ValueError):
        quorum(-1)


def test_autopilot_state_parses_snake_and_pascal_case() -> None:
    snake = {
        "healthy": True,
        "failure_tolerance": 1,
        "leader": "vault-0",
        "voters": ["vault-0", "vault-1", "vault-2"],
        "servers": {
            "vault-0": {"id": "vault-0", "name": "vault-0", "address": "a:8201",
                        "node_status": "alive", "healthy": True, "status": "leader",
                        "version": "1.18.3"},
        },
    }  # fmt: skip
    pascal = {
        "Healthy": True,
        "FailureTolerance": 1,
        "Leader": "vault-0",
        "Voters": ["vault-0", "vault-1", "vault-2"],
        "Servers": {
            "vault-0": {"ID": "vault-0", "Name": "vault-0", "Address": "a:8201",
                        "NodeStatus": "alive", "Healthy": True, "Status": "leader",
                        "Version": "1.18.3"},
        },
    }  # fmt: skip
    a, b = autopilot_state({"data": snake}), autopilot_state(pascal)
    assert a.failure_tolerance == b.failure_tolerance == 1
    assert a.voters == b.voters and a.leader == b.leader == "vault-0"
    assert a.servers["vault-0"].status == b.servers["vault-0"].status == "leader"
    assert b.servers["vault-0"].node_status == "alive" and b.servers["vault-0"].healthy


def test_joiners_that_are_still_non_voters_are_named() -> None:
    from labctl.vault.overview import _autopilot_notes

    # The shape OpenBao 2.7.2 answers a few seconds after two nodes joined (first install).
    state = autopilot_state({"data": {
        "healthy": True, "failure_tolerance": 0, "leader": "vault-0",
        "voters": ["vault-0"],
        "servers": {n: {"id": n, "name": n, "healthy": True,
                        "status": "leader" if n == "vault-0" else "non-voter"}
                    for n in ("vault-0", "vault-1", "vault-2")},
    }})  # fmt: skip
    (note,) = _autopilot_notes(state, quorum(1))
    assert "vault-1, vault-2 joined as non-voter(s)" in note
