"""`labctl vault snapshot save|restore` on a real 3-node OpenBao Raft cluster: write secrets,
save, wipe the cluster, restore, read them back; a corrupted file is refused."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from labctl.cli.main import app as labctl
from labctl.cli.vault import app
from labctl.config.cluster import ClusterConfig
from labctl.config.load import load_config
from labctl.platform.components import vault_snapshots
from tests.support.fake_kube import FakeKube, Reply, Request
from tests.support.openbao import RaftCluster, call, wait_for
from tests.vault.cli import run
from tests.vault.conftest import VaultCluster


@pytest.fixture(scope="module")
def raft() -> Iterator[RaftCluster]:
    cluster = RaftCluster()
    try:  # every node unsealed; autopilot's promotion of the joiners is not waited for
        cluster.start()
        for i in range(cluster.size):
            cluster.unseal(i)
        cluster.request("POST", "sys/mounts/internal", {"type": "kv", "options": {"version": "2"}})
        yield cluster
    finally:
        cluster.close()


def at(raft: RaftCluster, *args: str, token: str | None = None, keys: list[str] | None = None,
       node: int = 0) -> Result:  # fmt: skip
    return CliRunner().invoke(
        app, [*args, "--address", raft.urls[node], "--request-timeout", "30"],
        input="".join(f"{k}\n" for k in keys or []),
        env={"VAULT_TOKEN": token or raft.root_token, "VAULT_CACERT": None},
    )  # fmt: skip


def secret(raft: RaftCluster, token: str | None = None) -> object:
    reply = call(raft.urls[raft.active() or 0], "GET", "internal/data/app",
                 token or raft.root_token)  # fmt: skip
    return reply.json()["data"]["data"] if reply.status_code == 200 else reply.status_code


def write(raft: RaftCluster, value: str) -> None:
    raft.request("POST", "internal/data/app", {"data": {"password": value}})


@pytest.fixture(scope="module")
def config() -> ClusterConfig:
    return load_config(Path(__file__).resolve().parents[2] / "examples" / "cluster.yaml")


@pytest.fixture(scope="module")
def saved(raft: RaftCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    write(raft, "before")
    path = tmp_path_factory.mktemp("snap") / "vault.snap"
    result = at(raft, "snapshot", "save", str(path), node=1)  # a standby forwards it
    assert result.exit_code == 0, result.output
    return path


def test_save_through_the_pod_proxy_writes_the_file_and_its_sha256(
    cluster: VaultCluster, raft: RaftCluster, tmp_path: Path
) -> None:
    cluster.deploy_real(raft)
    path = tmp_path / "vault.snap"
    result = run(cluster, "snapshot", "save", str(path), token=raft.root_token)
    assert result.exit_code == 0, result.output
    digest, name = (tmp_path / "vault.snap.sha256").read_text().split()
    assert name == "vault.snap" and digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert path.read_bytes()[:2] == b"\x1f\x8b"  # gzip, as Vault sends it


def test_the_cronjobs_policy_takes_snapshots_and_reads_no_secret(
    raft: RaftCluster, tmp_path: Path
) -> None:
    raft.request("POST", f"sys/policies/acl/{vault_snapshots.POLICY}",
                 {"policy": vault_snapshots.POLICY_HCL})  # fmt: skip
    created = raft.request("POST", "auth/token/create", {"policies": [vault_snapshots.POLICY]})
    token = created["auth"]["client_token"]
    result = at(raft, "snapshot", "save", str(tmp_path / "cron.snap"), token=token)
    assert result.exit_code == 0, result.output
    assert secret(raft, token) == 403


def test_a_corrupted_or_unchecked_file_is_refused(raft: RaftCluster, saved: Path) -> None:
    bad = saved.with_name("bad.snap")
    data = bytearray(saved.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    bad.with_name("bad.snap.sha256").write_text(saved.with_name("vault.snap.sha256").read_text())
    result = at(raft, "snapshot", "restore", str(bad), "--yes")
    assert result.exit_code == 3 and "nothing was restored" in result.output, result.output
    bad.with_name("bad.snap.sha256").unlink()
    result = at(raft, "snapshot", "restore", str(bad), "--yes")
    assert result.exit_code == 3 and ".sha256" in result.output
    assert secret(raft) == {"password": "before"}


def test_restore_shows_its_plan_then_brings_the_data_back(raft: RaftCluster, saved: Path) -> None:
    write(raft, "after")
    dry = at(raft, "snapshot", "restore", str(saved), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "everything written after the snapshot is lost" in dry.output
    assert "dry run: nothing was changed" in dry.output
    assert secret(raft) == {"password": "after"}
    done = at(raft, "snapshot", "restore", str(saved), "--yes")
    assert done.exit_code == 0, done.output
    wait_for("the restored secret", lambda: secret(raft) == {"password": "before"})


def test_wipe_the_cluster_then_restore(raft: RaftCluster, saved: Path) -> None:
    old_keys, old_root = raft.keys, raft.root_token
    for i in range(raft.size):
        raft.wipe(i)
    raft.start()  # initialised anew: other keys, other root token, no secrets
    assert secret(raft) == 404
    refused = at(raft, "snapshot", "restore", str(saved), "--yes")
    assert refused.exit_code == 3 and "other unseal keys" in refused.output, refused.output
    forced = at(raft, "snapshot", "restore", str(saved), "--yes", "--force",
                "--reason", "cluster rebuilt after losing every volume")  # fmt: skip
    assert forced.exit_code == 0, forced.output
    assert "sealed" in forced.output
    unsealed = at(raft, "unseal", keys=old_keys[:3], token=old_root)
    assert unsealed.exit_code == 0, unsealed.output
    wait_for("vault-0 active", lambda: raft.health(0) == 200)
    assert secret(raft, old_root) == {"password": "before"}
    raft.keys, raft.root_token = old_keys, old_root  # the cluster is the snapshot's again


def _jwt(claims: dict[str, object]) -> str:
    """An unsigned service-account-shaped JWT: Vault reads its claims and has the API server's
    TokenReview (FakeKube's route below) vouch for it."""

    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'kid': 'test'})}.{part(claims)}.c2ln"


def test_the_cronjobs_save_command_logs_in_with_kubernetes_auth(
    raft: RaftCluster, kube: FakeKube, tmp_path: Path, config: ClusterConfig
) -> None:
    account = f"system:serviceaccount:{vault_snapshots.NAMESPACE}:{vault_snapshots.NAME}"
    reviews: list[object] = []

    def token_review(request: Request) -> Reply:
        reviews.append(request.body)
        return Reply(201, {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                           "status": {"authenticated": True, "audiences": ["vault"],
                                      "user": {"username": account, "uid": "u-1"}}})  # fmt: skip

    kube.route("POST", r"/apis/authentication\.k8s\.io/v1/tokenreviews", token_review)
    kubeconfig = yaml.safe_load(kube.kubeconfig(tmp_path / "kc").read_text())
    ca = base64.b64decode(kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"])
    raft.request("POST", "sys/auth/kubernetes", {"type": "kubernetes"})
    raft.request("POST", "auth/kubernetes/config", {"kubernetes_host": kube.url,
                 "kubernetes_ca_cert": ca.decode(), "token_reviewer_jwt": kube.token})  # fmt: skip
    raft.request("POST", f"sys/policies/acl/{vault_snapshots.POLICY}",
                 {"policy": vault_snapshots.POLICY_HCL})  # fmt: skip
    role = vault_snapshots.kubernetes_role()
    raft.request("POST", f"auth/kubernetes/role/{role.name}", role.model_dump())
    jwt = tmp_path / "token"
    jwt.write_text(_jwt({
        "iss": "kubernetes/serviceaccount", "sub": account, "aud": ["vault"],
        "kubernetes.io/serviceaccount/namespace": vault_snapshots.NAMESPACE,
        "kubernetes.io/serviceaccount/service-account.name": vault_snapshots.NAME,
        "kubernetes.io/serviceaccount/service-account.uid": "u-1",
    }))  # fmt: skip
    args = vault_snapshots.cronjob(config)["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "initContainers"][0]["args"]  # fmt: skip
    target = tmp_path / "vault.snap"
    args = [str(target) if a.endswith("vault.snap") else a for a in args]
    args = [str(jwt) if a.endswith("/token") else a for a in args]
    result = CliRunner().invoke(labctl, [*args, "--address", raft.urls[raft.active() or 0]],
                                env={"VAULT_TOKEN": None, "VAULT_CACERT": None})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert reviews and target.exists() and target.with_name("vault.snap.sha256").exists()
