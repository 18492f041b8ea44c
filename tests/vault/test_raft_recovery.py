"""`labctl vault recover-raft`: refuses with a quorum; otherwise a plan and its API calls."""

from __future__ import annotations

import json
import threading

import pytest

from labctl.cluster.client import connect
from labctl.vault import raft_recovery as rr
from labctl.vault.connection import nodes, proxy_node
from labctl.vault.errors import Refused, VaultError
from labctl.vault.overview import read_overview
from labctl.vault.unseal import KeyRing
from tests.support.fake_kube import FakeKube
from tests.support.fake_vault import FakeVault
from tests.vault.cli import run
from tests.vault.conftest import VaultCluster, vault_pod

STS = "/apis/apps/v1/namespaces/vault/statefulsets/vault"


def lost_quorum(cluster: VaultCluster) -> FakeVault:
    """vault-0 survives as a leaderless standby; vault-1 is gone for good."""
    survivor, _ = cluster.deploy(FakeVault(standby=True), FakeVault())
    cluster.kube.fail(r"/api/v1/namespaces/vault/pods/vault-1:8200/proxy/.*", 503, method="*")
    return survivor


def test_refuses_while_a_quorum_exists(cluster: VaultCluster) -> None:
    cluster.deploy(FakeVault(), FakeVault(standby=True), FakeVault(standby=True))
    result = run(cluster, "recover-raft", "--yes")
    assert result.exit_code == 3
    assert "Vault has a Raft quorum (vault-0 is active)" in result.output
    assert not cluster.kube.calls("PATCH") and not cluster.kube.calls("POST")


def test_shows_the_plan_and_waits_for_yes(cluster: VaultCluster) -> None:
    lost_quorum(cluster)
    result = run(cluster, "recover-raft")
    assert result.exit_code == 3 and "rerun with --yes" in result.output
    peers = [{"id": "vault-0", "address": "vault-0.vault-internal:8201", "non_voter": False}]
    assert f"peers.json: {json.dumps(peers)}" in result.output
    assert "PATCH   statefulsets/vault/scale replicas=0" in result.output
    assert "POST    pods/vault-peers-vault-0" in result.output
    assert "delete their volumes (`kubectl delete pvc -n <ns> data-vault-1`)" in result.output
    assert not cluster.kube.calls("PATCH") and not cluster.kube.calls("POST")


def test_refuses_survivors_that_skip_an_ordinal(cluster: VaultCluster) -> None:
    lost_quorum(cluster)
    result = run(cluster, "recover-raft", "--peer", "vault-1")
    assert result.exit_code == 3 and "not vault-0 up to vault-0" in result.output


class Controllers:
    """Plays the StatefulSet controller, the kubelet and Vault's restart between polls."""

    def __init__(self, kube: FakeKube, survivor: FakeVault, helper_phase: str = "Succeeded"):
        self.kube, self.survivor, self.helper_phase = kube, survivor, helper_phase
        self.written: dict[str, str] = {}

    def __call__(self, _seconds: float) -> None:
        with self.kube._lock:
            self.reconcile()

    def reconcile(self) -> None:
        replicas = self.kube.get("StatefulSet", "vault", "vault")["spec"]["replicas"]
        for pod in self.kube.objects("Pod", "vault"):
            name = pod["metadata"]["name"]
            if name.startswith("vault-peers-") and pod.get("status", {}).get("phase") is None:
                env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
                self.written[name] = env["PEERS_JSON"]
                self.kube.update("Pod", name, "vault", {"status": {"phase": self.helper_phase}})
                self.kube.logs[("vault", name)] = "/vault/data/raft missing: no Raft data here\n"
            elif not name.startswith("vault-peers-") and int(name.rsplit("-", 1)[1]) >= replicas:
                self.kube.store.pop(("Pod", "vault", name))
        for i in range(replicas):
            if self.kube.get("Pod", f"vault-{i}", "vault") is None:
                self.kube.add(vault_pod(f"vault-{i}"))
                # Vault restarts: sealed (Shamir), membership from peers.json, no more standby.
                self.survivor.sealed, self.survivor.standby = True, False
                self.survivor.raft_servers = [self.survivor.raft_servers[0]]


def plan_for(cluster: VaultCluster) -> rr.RecoveryPlan:
    kube = connect(cluster.target.cluster)
    sts = cluster.kube.get("StatefulSet", "vault", "vault")
    assert sts is not None
    return rr.plan_recovery(sts, read_overview(nodes(cluster.target, kube)))


def test_executes_the_plan_against_the_api(cluster: VaultCluster) -> None:
    survivor = lost_quorum(cluster)
    plan = plan_for(cluster)
    kube = connect(cluster.target.cluster)
    controllers = Controllers(cluster.kube, survivor)
    said: list[str] = []
    runner = rr.Runner(kube, said.append, timeout=10, interval=0, sleep=controllers)
    runner.run_kubernetes_steps(plan)

    scales = [c.body["spec"]["replicas"] for c in cluster.kube.calls("PATCH", f"{STS}/scale")]
    assert scales == [0, 1]
    (create,) = cluster.kube.calls("POST", "/api/v1/namespaces/vault/pods")
    helper = create.body["spec"]
    assert helper["volumes"][0]["persistentVolumeClaim"]["claimName"] == "data-vault-0"
    assert helper["securityContext"]["runAsUser"] == 100  # the server's user owns the files
    assert helper["containers"][0]["image"] == "hashicorp/vault:1.18.3"
    assert json.loads(controllers.written["vault-peers-vault-0"]) == plan.peers
    assert cluster.kube.calls("DELETE", "/api/v1/namespaces/vault/pods/vault-peers-vault-0")
    assert cluster.kube.get("Pod", "vault-peers-vault-0", "vault") is None

    entered = iter(survivor.keys[:3])
    node = proxy_node(kube, cluster.target, "vault-0")
    ids = [p["id"] for p in plan.peers]
    overview = rr.bring_up(
        runner, ids, [node], KeyRing(lambda _p: next(entered)), token=survivor.root_token
    )
    assert [r.status.state.value for r in overview.replicas] == ["active"]
    assert [p.node_id for p in overview.peers or []] == ["vault-0"]
    assert not survivor.sealed


def test_failed_helper_stops_before_starting_vault(cluster: VaultCluster) -> None:
    survivor = lost_quorum(cluster)
    plan = plan_for(cluster)
    kube = connect(cluster.target.cluster)
    failing = Controllers(cluster.kube, survivor, helper_phase="Failed")
    runner = rr.Runner(kube, lambda _m: None, timeout=10, interval=0, sleep=failing)
    with pytest.raises(VaultError, match="no Raft data here"):
        runner.run_kubernetes_steps(plan)
    scales = [c.body["spec"]["replicas"] for c in cluster.kube.calls("PATCH", f"{STS}/scale")]
    assert scales == [0]  # never scaled back up over a half-written membership
    assert cluster.kube.get("Pod", "vault-peers-vault-0", "vault") is None


def test_waiting_times_out_clearly(cluster: VaultCluster) -> None:
    lost_quorum(cluster)
    plan = plan_for(cluster)
    runner = rr.Runner(connect(cluster.target.cluster), lambda _m: None, timeout=0.05,
                       interval=0.01, sleep=lambda _s: None)  # fmt: skip
    with pytest.raises(VaultError, match=r"timed out after 0\.05 s waiting for the Vault pods"):
        runner.run_kubernetes_steps(plan)


def test_plan_with_node_ids_and_no_replica_answering(cluster: VaultCluster) -> None:
    cluster.deploy(FakeVault(standby=True), FakeVault(standby=True))
    for pod in ("vault-0", "vault-1"):
        cluster.kube.fail(rf"/api/v1/namespaces/vault/pods/{pod}:8200/proxy/.*", 503, method="*")
    sts = cluster.kube.get("StatefulSet", "vault", "vault")
    assert sts is not None
    overview = read_overview(nodes(cluster.target))
    with pytest.raises(Refused, match="name the surviving servers with --peer"):
        rr.plan_recovery(sts, overview)
    plan = rr.plan_recovery(sts, overview, ["vault-1", "vault-0"], {"vault-1": "b2c4"})
    assert [p["id"] for p in plan.peers] == ["vault-0", "b2c4"]
    assert plan.after == []


def test_cli_recovers_end_to_end(cluster: VaultCluster) -> None:
    survivor = lost_quorum(cluster)
    controllers = Controllers(cluster.kube, survivor)
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(0.02):
            controllers(0)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        result = run(cluster, "recover-raft", "--yes", "--poll", "0.02", "--wait", "10",
                     token=survivor.root_token, keys=survivor.keys[:3])  # fmt: skip
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    assert "vault-0   active" in result.output
    assert "voters 1, quorum 1, failure tolerance 0" in result.output
    assert "next: vault-1 must not rejoin with old data" in result.output
    assert all(key not in result.output for key in survivor.keys)
    scales = [c.body["spec"]["replicas"] for c in cluster.kube.calls("PATCH", f"{STS}/scale")]
    assert scales == [0, 1]
