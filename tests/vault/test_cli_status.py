"""`labctl vault status`: replicas, Raft peers and failure tolerance, through the pod proxy."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from labctl.cli.vault import app
from tests.support.fake_vault import FakeVault
from tests.vault.cli import run
from tests.vault.conftest import VaultCluster


def test_status_shows_active_standby_and_peers(cluster: VaultCluster) -> None:
    active, _, _ = cluster.deploy(FakeVault(), FakeVault(standby=True), FakeVault(standby=True))
    result = run(cluster, "status", token=active.root_token)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].split()[:3] == ["vault-0", "active", "False"]
    assert lines[2].split()[:2] == ["vault-1", "standby"]
    assert "vault-0.vault-internal:8201" in result.output
    assert "voters 3, quorum 2, failure tolerance 1" in result.output


def test_status_flags_sealed_and_uninitialized_replicas(cluster: VaultCluster) -> None:
    cluster.deploy(FakeVault(), FakeVault(sealed=True), FakeVault(initialized=False))
    result = run(cluster, "status", "-o", "json")
    assert result.exit_code == 1  # not every replica serves
    report = json.loads(result.output)[0]
    states = [r["status"]["state"] for r in report["replicas"]]
    assert states == ["active", "sealed", "uninitialized"]
    assert report["peers"] is None and report["quorumFromPeers"] is False
    assert any("vault-1 is sealed: run `labctl vault unseal vault-1`" in w
               for w in report["warnings"])  # fmt: skip


def test_two_voters_have_zero_failure_tolerance(cluster: VaultCluster) -> None:
    active, _ = cluster.deploy(FakeVault(), FakeVault(standby=True))
    result = run(cluster, "status", token=active.root_token)
    assert result.exit_code == 0
    assert "voters 2, quorum 2, failure tolerance 0" in result.output
    assert "2 voter(s) tolerate no failure" in result.output


def test_sealed_auto_unseal_replica_points_at_kms(cluster: VaultCluster) -> None:
    cluster.deploy(FakeVault(seal_type="awskms", sealed=True, kms_reachable=False))
    result = run(cluster, "status")
    assert result.exit_code == 1
    assert "awskms" in result.output and "takes the recovery keys" in result.output


def test_unreachable_pod_is_unknown_not_healthy(cluster: VaultCluster) -> None:
    cluster.deploy(FakeVault(), FakeVault(standby=True))
    cluster.kube.fail(r"/api/v1/namespaces/vault/pods/vault-1:8200/proxy/.*", 503, method="*")
    result = run(cluster, "status", "-o", "json")
    assert result.exit_code == 1
    replica = json.loads(result.output)[0]["replicas"][1]
    assert replica["status"]["state"] == "unknown"
    assert "API server could not reach Vault" in replica["error"]


def test_permission_denied_on_peers_is_a_warning(cluster: VaultCluster) -> None:
    active, _, _ = cluster.deploy(FakeVault(), FakeVault(standby=True), FakeVault(standby=True))
    result = run(cluster, "status", token=active.token_for("secret/"))
    assert result.exit_code == 0
    assert "Raft peers unknown" in result.output and "permission denied" in result.output


def test_one_address_without_token_makes_no_quorum_claim() -> None:
    with FakeVault() as vault:
        result = CliRunner().invoke(
            app, ["status", "--address", vault.url], env={"VAULT_TOKEN": None}
        )
    assert result.exit_code == 0, result.output
    assert "voters" not in result.output and "tolerate" not in result.output
    assert "set VAULT_TOKEN to list them" in result.output


def test_autopilot_reports_an_unhealthy_voter(cluster: VaultCluster) -> None:
    active, _, _ = cluster.deploy(FakeVault(), FakeVault(standby=True), FakeVault(standby=True))
    active.unhealthy = {"vault-2"}
    result = run(cluster, "status", token=active.root_token)
    assert "voters 3, quorum 2, failure tolerance 1" in result.output
    assert "autopilot: UNHEALTHY, failure tolerance now 0" in result.output
    assert "autopilot: the cluster is unhealthy (vault-2)" in result.output
    assert "only 0 failure(s) tolerated right now" in result.output


def test_lost_quorum_under_awskms_is_reported_as_lost(cluster: VaultCluster) -> None:
    # As measured on OpenBao (test_openbao_raft.py): the survivor is a standby, autopilot
    # answers 500, the other pods do not answer.
    survivor, _, _ = cluster.deploy(
        FakeVault(seal_type="awskms", standby=True, quorum_lost=True),
        FakeVault(seal_type="awskms"), FakeVault(seal_type="awskms"),
    )  # fmt: skip
    for pod in ("vault-1", "vault-2"):
        cluster.kube.fail(rf"/api/v1/namespaces/vault/pods/{pod}:8200/proxy/.*", 503, method="*")
    result = run(cluster, "status", token=survivor.root_token)
    assert result.exit_code == 1, result.output
    assert "failure tolerance none, quorum lost" in result.output


def test_an_unreachable_api_server_is_one_line_and_exit_4(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )
    for args in (["status"], ["recover-raft", "--dry-run"], ["snapshot", "save", "x.snap"]):
        result = CliRunner().invoke(app, [*args, "--kubeconfig", str(config)],
                                    env={"VAULT_ADDR": None, "VAULT_TOKEN": "t"})  # fmt: skip
        assert result.exit_code == 4, result.output
        assert result.output.strip().splitlines() == [
            "cannot reach the Kubernetes API server: connection refused: nothing listens there "
            "(wrong address or port, or it is down)"
        ]
