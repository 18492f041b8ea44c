"""`labctl vault unseal`: keys without echo, every sealed replica, migration, auto-unseal."""

from __future__ import annotations

import logging

import pytest

from tests.support.fake_vault import FakeVault
from tests.vault.cli import run
from tests.vault.conftest import VaultCluster


def test_unseal_every_sealed_replica_with_the_same_keys(
    cluster: VaultCluster, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = cluster.deploy(FakeVault(sealed=True), FakeVault(sealed=True, standby=True))
    b.keys = a.keys  # one Shamir split for the whole cluster
    caplog.set_level(logging.DEBUG)
    result = run(cluster, "unseal", keys=a.keys[:3])
    assert all(key not in caplog.text for key in a.keys)  # not even at DEBUG (httpx, urllib3)
    assert result.exit_code == 0, result.output
    assert "vault-0: unsealed" in result.output and "vault-1: unsealed" in result.output
    assert not a.sealed and not b.sealed
    assert len(a.calls("PUT", "sys/unseal")) == len(b.calls("PUT", "sys/unseal")) == 3
    assert all(key not in result.output for key in a.keys)


def test_unseal_one_pod_and_stop_early(cluster: VaultCluster) -> None:
    a, b = cluster.deploy(FakeVault(sealed=True), FakeVault(sealed=True))
    result = run(cluster, "unseal", "vault-1", keys=[b.keys[0], ""])
    assert result.exit_code == 1
    assert "vault-1: stopped (1/3 keys)" in result.output
    assert b.sealed and not a.calls("PUT", "sys/unseal")
    assert b.keys[0] not in result.output


def test_wrong_key_is_reported_without_the_key(cluster: VaultCluster) -> None:
    cluster.deploy(FakeVault(sealed=True))
    wrong = "0123456789abcdef0123456789abcdef"
    result = run(cluster, "unseal", keys=[wrong])
    assert result.exit_code == 4
    assert "invalid key" in result.output and wrong not in result.output


def test_unusable_kms_seal_fails_at_the_threshold_key(cluster: VaultCluster) -> None:
    # awskms cannot run here: the fake answers as OpenBao's static seal was measured to.
    (vault,) = cluster.deploy(FakeVault(seal_type="awskms", sealed=True, kms_reachable=False))
    result = run(cluster, "unseal", keys=vault.keys[:3])
    assert result.exit_code == 4, result.output
    assert "failed to verify recovery key" in result.output
    assert "If the key is gone for good" in result.output
    assert len(vault.calls("PUT", "sys/unseal")) == 3 and vault.sealed


def test_seal_migration_sends_migrate_with_every_key(cluster: VaultCluster) -> None:
    (vault,) = cluster.deploy(FakeVault(sealed=True, migration=True))
    result = run(cluster, "unseal", keys=vault.keys[:3])
    assert result.exit_code == 0, result.output
    assert "unsealed, seal migration started" in result.output
    assert [c.body["migrate"] for c in vault.calls("PUT", "sys/unseal")] == [True] * 3


def test_explicit_migrate_with_recovery_keys(cluster: VaultCluster) -> None:
    (vault,) = cluster.deploy(FakeVault(seal_type="awskms", sealed=True, migration=True))
    result = run(cluster, "unseal", "--migrate", keys=vault.keys[:3])
    assert result.exit_code == 0, result.output
    assert not vault.sealed


def test_already_unsealed_sends_nothing(cluster: VaultCluster) -> None:
    (vault,) = cluster.deploy(FakeVault())
    result = run(cluster, "unseal")
    assert result.exit_code == 0 and "vault-0: already unsealed" in result.output
    assert not vault.calls("PUT", "sys/unseal")


def test_unreachable_replica_is_skipped_and_reported(cluster: VaultCluster) -> None:
    a, b = cluster.deploy(FakeVault(sealed=True), FakeVault(sealed=True))
    b.keys = a.keys
    cluster.kube.fail(r"/api/v1/namespaces/vault/pods/vault-0:8200/proxy/.*", 503, method="*")
    result = run(cluster, "unseal", keys=a.keys[:3])
    assert result.exit_code == 1  # not everything is unsealed
    assert "vault-0: skipped" in result.output and "vault-1: unsealed" in result.output
    assert not b.sealed
