"""`labctl vault unseal`: keys without echo, stopping early, wrong keys (on a real one-node
OpenBao) and a Shamir-to-static seal migration; the awskms seal and an unreachable pod on the
fake."""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner, Result

from labctl.cli.vault import app
from tests.support.fake_vault import FakeVault
from tests.support.openbao import RaftCluster, call, wait_for
from tests.vault.cli import run
from tests.vault.conftest import VaultCluster


def test_unusable_kms_seal_fails_at_the_threshold_key(cluster: VaultCluster) -> None:
    # awskms cannot run here: the fake answers as OpenBao's static seal was measured to.
    (vault,) = cluster.deploy(FakeVault(seal_type="awskms", sealed=True, kms_reachable=False))
    result = run(cluster, "unseal", keys=vault.keys[:3])
    assert result.exit_code == 4, result.output
    assert "failed to verify recovery key" in result.output
    assert "If the key is gone for good" in result.output
    assert len(vault.calls("PUT", "sys/unseal")) == 3 and vault.sealed


def test_explicit_migrate_with_recovery_keys(cluster: VaultCluster) -> None:
    (vault,) = cluster.deploy(FakeVault(seal_type="awskms", sealed=True, migration=True))
    result = run(cluster, "unseal", "--migrate", keys=vault.keys[:3])
    assert result.exit_code == 0, result.output
    assert not vault.sealed


def test_unreachable_replica_is_skipped_and_reported(cluster: VaultCluster) -> None:
    a, b = cluster.deploy(FakeVault(sealed=True), FakeVault(sealed=True))
    b.keys = a.keys
    cluster.kube.fail(r"/api/v1/namespaces/vault/pods/vault-0:8200/proxy/.*", 503, method="*")
    result = run(cluster, "unseal", keys=a.keys[:3])
    assert result.exit_code == 1  # not everything is unsealed
    assert "vault-0: skipped" in result.output and "vault-1: unsealed" in result.output
    assert not b.sealed


@pytest.fixture(scope="module")
def server() -> Iterator[RaftCluster]:
    cluster = RaftCluster(size=1)
    try:
        yield cluster.start()
    finally:
        cluster.close()


@pytest.fixture
def sealed(server: RaftCluster) -> RaftCluster:
    call(server.urls[0], "PUT", "sys/unseal", body={"reset": True})
    call(server.urls[0], "PUT", "sys/seal", server.root_token)
    wait_for("sealed", lambda: server.seal_status(0)["sealed"] is True)
    return server


def at(server: RaftCluster, *args: str, keys: list[str]) -> Result:
    return CliRunner().invoke(
        app, ["unseal", *args, "--address", server.urls[0], "--request-timeout", "10"],
        input="".join(f"{k}\n" for k in keys), env={"VAULT_TOKEN": None},
    )  # fmt: skip


def test_unseal_with_keys_never_shown(
    sealed: RaftCluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = at(sealed, keys=sealed.keys[:3])
    assert result.exit_code == 0, result.output
    assert "unsealed" in result.output and sealed.seal_status(0)["sealed"] is False
    assert all(key not in result.output + caplog.text for key in sealed.keys)  # not at DEBUG
    again = at(sealed, keys=[])
    assert again.exit_code == 0 and "already unsealed" in again.output


def test_stop_early_leaves_the_progress(sealed: RaftCluster) -> None:
    result = at(sealed, keys=[sealed.keys[0], ""])
    assert result.exit_code == 1
    assert "stopped (1/3 keys)" in result.output
    assert sealed.seal_status(0)["progress"] == 1 and sealed.keys[0] not in result.output


def test_wrong_keys_fail_at_the_threshold_without_the_keys(sealed: RaftCluster) -> None:
    # A Shamir share cannot be checked alone: the real server fails only at the threshold.
    wrong = [base64.b64encode(secrets.token_bytes(33)).decode() for _ in range(3)]
    result = at(sealed, keys=wrong)
    assert result.exit_code == 4, result.output
    assert "unsealing" in result.output and not any(w in result.output for w in wrong)
    assert sealed.seal_status(0)["sealed"] is True


def test_a_key_entered_twice_is_named_not_counted(sealed: RaftCluster) -> None:
    result = at(sealed, keys=[sealed.keys[0], sealed.keys[0]])
    assert result.exit_code == 4, result.output
    assert "entered already" in result.output and sealed.keys[0] not in result.output


def test_awskms_node_joining_then_catching_up_unseals_with_recovery_keys(
    cluster: VaultCluster,
) -> None:
    # The measured first-install sequence (test_openbao_raft.py), with the awskms seal no
    # server here has: not initialized while retry_join runs, then progress 0 while catching up.
    leader, joiner = cluster.deploy(
        FakeVault(seal_type="awskms"),
        FakeVault(seal_type="awskms", initialized=False, sealed=True, standby=True,
                  joining_for=0.3, catch_up=True),
    )  # fmt: skip
    joiner.keys = leader.keys
    result = run(cluster, "unseal", keys=leader.keys[:3])
    assert result.exit_code == 0, result.output
    assert "vault-1: unsealed" in result.output and not joiner.sealed


def test_recovery_keys_unseal_an_operator_sealed_awskms_node(cluster: VaultCluster) -> None:
    (vault,) = cluster.deploy(FakeVault(seal_type="awskms"))
    assert (
        vault.handle("PUT", "/v1/sys/seal", {}, b"", {"X-Vault-Token": vault.root_token})[0] == 204
    )
    result = run(cluster, "unseal", keys=vault.keys[:3])
    assert result.exit_code == 0, result.output
    assert "vault-0: unsealed" in result.output and not vault.sealed


def test_a_seal_migration_is_detected_and_completed() -> None:
    # Shamir -> static on a real server: restarted with the new seal stanza, it reports
    # `migration: true` and takes the old unseal keys with migrate=true.
    cluster = RaftCluster(size=1)
    try:
        cluster.start()
        cluster.stop(0)
        cluster.seal = "static"
        cluster.write_config(0)
        cluster.start_node(0)
        assert cluster.seal_status(0)["migration"] is True
        result = at(cluster, keys=cluster.keys[:3])  # no --migrate: labctl reads it from Vault
        assert result.exit_code == 0, result.output
        assert "unsealed, seal migration started" in result.output

        def migrated() -> bool:
            status = cluster.seal_status(0)
            return status.get("type") == "static" and status.get("migration") is False

        wait_for("the migration to finish", migrated)
    finally:
        cluster.close()
