"""`labctl vault generate-root` with HashiCorp Vault's unauthenticated flow (sys/generate-root),
on a real one-node OpenBao whose listener serves it again: start, OTP once, keys without echo,
decode; the token flow OpenBao serves by default is in test_openbao_raft.py."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from labctl.cli.vault import app
from labctl.vault.errors import VaultError
from labctl.vault.generate_root import decode_token
from tests.support.openbao import RaftCluster, call


@pytest.fixture(scope="module")
def server() -> Iterator[RaftCluster]:
    cluster = RaftCluster(size=1, legacy_generate_root=True)
    try:
        yield cluster.start()
    finally:
        cluster.close()


@pytest.fixture
def vault(server: RaftCluster) -> Iterator[RaftCluster]:
    yield server
    call(server.urls[0], "DELETE", "sys/generate-root/attempt")  # no attempt outlives a test


def run(vault: RaftCluster, *args: str, keys: list[str] | None = None) -> Result:
    return CliRunner().invoke(
        app, ["generate-root", *args, "--address", vault.urls[0], "--request-timeout", "10"],
        input="".join(f"{k}\n" for k in keys or []),
        env={"VAULT_TOKEN": None, "VAULT_CACERT": None},  # this flow needs no token
    )  # fmt: skip


def root_of(result: Result) -> str:
    return result.output.split("Root token:")[1].split()[0]


def is_root(vault: RaftCluster, token: str) -> bool:
    reply = call(vault.urls[0], "GET", "auth/token/lookup-self", token)
    return reply.status_code == 200 and reply.json()["data"]["policies"] == ["root"]


def test_decode_xors_the_otp_over_unpadded_base64() -> None:
    # A published -decode/-otp pair (Vault's encoded tokens carry no base64 padding).
    encoded, otp = "PzVHSRMXERYIFCl9IhIMKwUoMz8OJBEgXAIIdQ", "WC4gXgKrEUZIRDxHRNTiiUIf9GO8"
    assert decode_token(encoded, otp) == "hvs.KpZdMAs4pVtcWfgVgqXFeEGM"
    assert decode_token(base64.b64encode(base64.b64decode(encoded + "==")).decode(), otp) == (
        "hvs.KpZdMAs4pVtcWfgVgqXFeEGM"
    )
    with pytest.raises(VaultError, match="another attempt"):
        decode_token(encoded, otp[:10])


def test_generate_root_end_to_end(vault: RaftCluster) -> None:
    assert call(vault.urls[0], "GET", "sys/generate-root/attempt").status_code == 200
    result = run(vault, keys=vault.keys[:3])
    assert result.exit_code == 0, result.output
    assert result.output.count("OTP:") == 1
    assert is_root(vault, root_of(result)) and root_of(result) != vault.root_token
    assert all(key not in result.output for key in vault.keys)


def test_generate_root_writes_the_token_file(vault: RaftCluster, tmp_path: Path) -> None:
    path = tmp_path / "root-token"
    result = run(vault, "--token-file", str(path), keys=vault.keys[:3])
    assert result.exit_code == 0, result.output
    token = path.read_text().strip()
    assert is_root(vault, token) and token not in result.output
    assert path.stat().st_mode & 0o777 == 0o600


def test_refuses_while_another_attempt_runs_and_cancel_ends_it(vault: RaftCluster) -> None:
    otp = call(vault.urls[0], "PUT", "sys/generate-root/attempt", body={}).json()["otp"]
    assert otp
    result = run(vault)
    assert result.exit_code == 3 and "already in progress" in result.output
    assert run(vault, "--cancel").exit_code == 0
    assert run(vault, keys=vault.keys[:3]).exit_code == 0


def test_stopping_early_keeps_the_attempt_open(vault: RaftCluster) -> None:
    result = run(vault, keys=[vault.keys[0], ""])
    assert result.exit_code == 3 and "stopped at 1/3 keys" in result.output
    otp = result.output.split("OTP:")[1].split()[0]
    nonce = result.output.split("Nonce:")[1].split()[0]
    rest = run(vault, "--nonce", nonce, keys=[*vault.keys[1:3], otp])
    assert rest.exit_code == 0, rest.output
    assert is_root(vault, root_of(rest))
