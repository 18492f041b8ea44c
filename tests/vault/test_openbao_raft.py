"""`labctl vault` on a real 3-node OpenBao Raft cluster (Shamir seal), through FakeKube's pod
proxy and at `--address`.

One cluster for the module (about 10 s to start). The tests run in file order and follow one
cluster's life: first install (two nodes still joining), healthy, root token, lost quorum,
recovery of the survivor at an address. Each test states what it needs at its top.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

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
    assert survivor is not None
    for i in range(raft.size):
        if i != survivor:
            raft.stop(i)
    wait_for("the survivor to step down", lambda: raft.health(survivor) == 429)
    result = run(pods, "status", token=raft.root_token)
    assert result.exit_code == 1, result.output
    assert "failure tolerance none, quorum lost" in result.output
    out = at(raft.urls[survivor], "status", token=raft.root_token)
    assert out.startswith("exit=1") and "failure tolerance none, quorum lost" in out, out


def test_recover_raft_at_an_address(raft: RaftCluster) -> None:
    (survivor,) = [i for i, node in enumerate(raft.nodes) if node.running]
    node = raft.nodes[survivor]
    data = raft.root / node.name
    where = ["--data-dir", str(data), "--node-id", node.name,
             "--cluster-address", f"127.0.0.1:{node.cluster_port}"]  # fmt: skip
    plan = at(node.url, "recover-raft", *where, "--dry-run")
    assert plan.startswith("exit=0") and "dry run" in plan, plan
    assert not (data / "raft" / "peers.json").exists()

    def restart_when_written() -> None:  # the operator's `systemctl restart openbao`
        wait_for("peers.json", (data / "raft" / "peers.json").exists, 60)
        raft.stop(survivor)
        raft.start_node(survivor)

    helper = threading.Thread(target=restart_when_written)
    helper.start()
    out = at(node.url, "recover-raft", *where, "--yes", "--wait", "60",
             token=raft.root_token, keys=raft.keys[:3])  # fmt: skip
    helper.join()
    assert out.startswith("exit=0"), out + node.log.read_text()[-2000:]
    assert raft.health(survivor) == 200
    peers = raft.request("GET", "sys/storage/raft/configuration")["data"]["config"]["servers"]
    assert [p["node_id"] for p in peers] == [node.name]
