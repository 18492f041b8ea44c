"""Auto-unseal on a real server: OpenBao's `seal "static"` (a key file), the nearest thing to a
KMS seal that runs here. Recovery keys unseal an operator-sealed node while the seal works, and
fail at the threshold key when it does not."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.support.openbao import RaftCluster, call, wait_for
from tests.vault.cli import run
from tests.vault.conftest import VaultCluster


@pytest.fixture(scope="module")
def raft() -> Iterator[RaftCluster]:
    cluster = RaftCluster(seal="static")
    try:  # no need to wait for autopilot's voters here: every node unseals by itself
        cluster.start()
        for i in range(cluster.size):
            cluster.unseal(i)
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def pods(cluster: VaultCluster, raft: RaftCluster) -> VaultCluster:
    cluster.deploy_real(raft)
    return cluster


def test_the_static_seal_unseals_every_node_by_itself(raft: RaftCluster) -> None:
    status = raft.seal_status(1)
    assert status["type"] == "static" and status["recovery_seal"] is True
    assert not status["sealed"]


def test_recovery_keys_unseal_an_operator_sealed_node(
    pods: VaultCluster, raft: RaftCluster
) -> None:
    active = raft.active()
    assert active is not None
    assert call(raft.urls[active], "PUT", "sys/seal", raft.root_token).status_code == 204
    wait_for("the sealed node", lambda: raft.seal_status(active)["sealed"] is True)
    result = run(pods, "unseal", f"vault-{active}", keys=raft.keys[:3])
    assert result.exit_code == 0, result.output
    assert f"vault-{active}: unsealed" in result.output
    assert raft.seal_status(active)["sealed"] is False


def test_an_unusable_seal_fails_at_the_threshold_key(pods: VaultCluster, raft: RaftCluster) -> None:
    raft.stop(2)
    wrong = raft.root / "wrong.key"
    wrong.write_bytes(secrets.token_bytes(32))
    raft.write_config(2, wrong)
    raft.start_node(2)
    assert raft.seal_status(2)["sealed"] is True
    result = run(pods, "unseal", "vault-2", keys=raft.keys[:3])
    assert result.exit_code == 4, result.output
    assert "failed to verify recovery key" in result.output
    assert "If the key is gone for good" in result.output
    assert raft.seal_status(2)["sealed"] is True
    assert all(key not in result.output for key in raft.keys)
