"""`labctl vault generate-root`: init, OTP once, keys without echo, decode."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from labctl.vault.errors import VaultError
from labctl.vault.generate_root import decode_token
from tests.support.fake_vault import FakeVault
from tests.vault.cli import run
from tests.vault.conftest import VaultCluster


def test_decode_xors_the_otp_over_unpadded_base64() -> None:
    # A published -decode/-otp pair (Vault's encoded tokens carry no base64 padding).
    encoded, otp = "PzVHSRMXERYIFCl9IhIMKwUoMz8OJBEgXAIIdQ", "WC4gXgKrEUZIRDxHRNTiiUIf9GO8"
    assert decode_token(encoded, otp) == "hvs.KpZdMAs4pVtcWfgVgqXFeEGM"
    assert decode_token(base64.b64encode(base64.b64decode(encoded + "==")).decode(), otp) == (
        "hvs.KpZdMAs4pVtcWfgVgqXFeEGM"
    )
    with pytest.raises(VaultError, match="another attempt"):
        decode_token(encoded, otp[:10])


def test_generate_root_end_to_end(cluster: VaultCluster) -> None:
    (vault,) = cluster.deploy(FakeVault(seal_type="awskms"))
    result = run(cluster, "generate-root", keys=vault.keys[:3])
    assert result.exit_code == 0, result.output
    root = vault.generated_root
    assert root is not None and f"Root token: {root}" in result.output
    assert result.output.count("OTP:") == 1
    assert all(key not in result.output for key in vault.keys)
    updates = vault.calls("PUT", "sys/generate-root/update")
    nonce = result.output.split("Nonce:")[1].split()[0]
    assert [c.body["nonce"] for c in updates] == [nonce] * 3


def test_generate_root_writes_the_token_file(cluster: VaultCluster, tmp_path: Path) -> None:
    (vault,) = cluster.deploy(FakeVault())
    path = tmp_path / "root-token"
    result = run(cluster, "generate-root", "--token-file", str(path), keys=vault.keys[:3])
    assert result.exit_code == 0, result.output
    assert path.read_text().strip() == vault.generated_root
    assert path.stat().st_mode & 0o777 == 0o600
    assert vault.generated_root not in result.output


def test_refuses_while_another_attempt_runs_and_cancel_ends_it(cluster: VaultCluster) -> None:
    (vault,) = cluster.deploy(FakeVault())
    vault.handle("PUT", "/v1/sys/generate-root/attempt", {}, b"{}", {})
    result = run(cluster, "generate-root")
    assert result.exit_code == 3 and "already in progress" in result.output
    assert run(cluster, "generate-root", "--cancel").exit_code == 0
    assert run(cluster, "generate-root", keys=vault.keys[:3]).exit_code == 0


def test_stopping_early_keeps_the_attempt_open(cluster: VaultCluster) -> None:
    (vault,) = cluster.deploy(FakeVault())
    result = run(cluster, "generate-root", keys=[vault.keys[0], ""])
    assert result.exit_code == 3 and "stopped at 1/3 keys" in result.output
    otp = result.output.split("OTP:")[1].split()[0]
    nonce = result.output.split("Nonce:")[1].split()[0]
    rest = run(cluster, "generate-root", "--nonce", nonce, keys=[*vault.keys[1:3], otp])
    assert rest.exit_code == 0, rest.output
    assert f"Root token: {vault.generated_root}" in rest.output


def test_generate_root_goes_to_the_active_replica(cluster: VaultCluster) -> None:
    standby, active = cluster.deploy(FakeVault(standby=True), FakeVault())
    standby.keys = active.keys
    result = run(cluster, "generate-root", keys=active.keys[:3])
    assert result.exit_code == 0, result.output
    assert f"Root token: {active.generated_root}" in result.output
    assert not standby.calls("PUT")
