"""`labctl vault` on a real 3-node OpenBao Raft cluster (Shamir seal), through FakeKube's pod
proxy and at `--address`.

One cluster for the module (about 10 s to start). The tests run in file order and follow one
cluster's life: first install (two nodes still joining), healthy, root token, lost quorum,
recovery of the survivor at an address. Each test states what it needs at its top.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.cli.vault import app
from tests.support.openbao import RaftCluster, call, wait_for
from tests.vault.cli import run
from tests.vault.conftest import VaultCluster


@pytest.fixture(scope="module")
def raft() -> Iterator[RaftCluster]:
    """Started as after `helm install` and `operator init`: vault-0 unsealed, the rest joining."""
    cluster = RaftCluster()
    try:
        yield cluster.start()
    finally:
        cluster.close()


@pytest.fixture
def pods(cluster: VaultCluster, raft: RaftCluster) -> VaultCluster:
    cluster.deploy_real(raft)
    return cluster


def at(url: str, *args: str, token: str | None = None, keys: list[str] | None = None) -> str:
    stdin = "".join(f"{k}\n" for k in keys or [])
    result = CliRunner().invoke(
        app, [*args, "--address", url, "--request-timeout", "5"], input=stdin,
        env={"VAULT_TOKEN": token, "VAULT_CACERT": None},
    )  # fmt: skip
    return f"exit={result.exit_code}\n{result.output}"


def test_first_install_unseal_waits_for_joining_nodes(
    pods: VaultCluster, raft: RaftCluster
) -> None:
    assert raft.seal_status(1)["sealed"]  # retry_join still running, or joined and sealed
    result = run(pods, "unseal", "--wait", "60", keys=raft.keys[:3])
    assert result.exit_code == 0, result.output
    assert "vault-0: already unsealed" in result.output
    assert "vault-1: unsealed" in result.output and "vault-2: unsealed" in result.output
    assert not any(raft.seal_status(i)["sealed"] for i in range(3))
    assert all(key not in result.output for key in raft.keys)


def test_status_of_the_healthy_cluster(pods: VaultCluster, raft: RaftCluster) -> None:
    raft.wait_voters(3)
    result = run(pods, "status", token=raft.root_token)
    assert result.exit_code == 0, result.output
    assert "voters 3, quorum 2, failure tolerance 1" in result.output
    assert "autopilot: healthy, failure tolerance now 1" in result.output
    assert "2.7.2" in result.output and "!" not in result.output


def test_status_at_a_standby_address_is_healthy(raft: RaftCluster) -> None:
    standby = next(i for i in range(3) if raft.health(i) == 429)
    out = at(raft.urls[standby], "status", token=raft.root_token)
    assert out.startswith("exit=0"), out
    assert "standby" in out and "quorum lost" not in out


def test_generate_root_uses_the_flow_openbao_serves(pods: VaultCluster, raft: RaftCluster) -> None:
    assert call(raft.urls[0], "GET", "sys/generate-root/attempt").status_code == 405
    without = run(pods, "generate-root", keys=raft.keys[:3])
    assert without.exit_code == 3 and "VAULT_TOKEN" in without.output
    result = run(pods, "generate-root", token=raft.root_token, keys=raft.keys[:3])
    assert result.exit_code == 0, result.output
    otp = result.output.split("OTP:")[1].split()[0]
    assert len(otp) == 26
    root = result.output.split("Root token:")[1].split()[0]
    assert root.startswith("s.") and root != raft.root_token
    looked = call(raft.urls[0], "GET", "auth/token/lookup-self", root).json()
    assert looked["data"]["policies"] == ["root"]
    assert all(key not in result.output for key in raft.keys)


def test_lost_quorum_is_reported_as_lost(pods: VaultCluster, raft: RaftCluster) -> None:
    survivor = raft.active()
    assert survivor == 0, "the recovery below expects vault-0 to lead"
    raft.stop(1)
    raft.stop(2)
    wait_for("vault-0 to step down", lambda: raft.health(0) == 429)
    result = run(pods, "status", token=raft.root_token)
    assert result.exit_code == 1, result.output
    assert "failure tolerance none, quorum lost" in result.output
    out = at(raft.urls[0], "status", token=raft.root_token)
    assert out.startswith("exit=1") and "failure tolerance none, quorum lost" in out, out


def test_recover_raft_at_an_address(raft: RaftCluster, tmp_path: Path) -> None:
    assert not raft.nodes[1].running and not raft.nodes[2].running
    data = raft.root / "vault-0"
    where = ["--data-dir", str(data), "--node-id", "vault-0",
             "--cluster-address", f"127.0.0.1:{raft.nodes[0].cluster_port}"]  # fmt: skip
    plan = at(raft.urls[0], "recover-raft", *where, "--dry-run")
    assert plan.startswith("exit=0") and "dry run" in plan, plan
    assert not (data / "raft" / "peers.json").exists()
    # The operator restarts the server once peers.json is written (here: the test).
    import threading

    def restart_when_written() -> None:
        wait_for("peers.json", (data / "raft" / "peers.json").exists, 60)
        raft.stop(0)
        raft.start_node(0)

    helper = threading.Thread(target=restart_when_written)
    helper.start()
    out = at(raft.urls[0], "recover-raft", *where, "--yes", "--wait", "60",
             token=raft.root_token, keys=raft.keys[:3])  # fmt: skip
    helper.join()
    assert out.startswith("exit=0"), out + raft.nodes[0].log.read_text()[-2000:]
    assert raft.health(0) == 200
    peers = raft.request("GET", "sys/storage/raft/configuration")["data"]["config"]["servers"]
    assert [p["node_id"] for p in peers] == ["vault-0"]
