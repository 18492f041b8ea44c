"""A Vault StatefulSet behind FakeKube's pod proxy, each pod a FakeVault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from labctl.cluster.client import ClusterTarget
from labctl.vault.connection import VaultTarget
from tests.support.fake_kube import FakeKube, Obj, forward_to
from tests.support.fake_vault import FakeVault
from tests.support.openbao import BaoProcess, RaftCluster, call, dev_server

LABELS = {"app.kubernetes.io/name": "vault", "component": "server"}


def statefulset(replicas: int) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "vault", "namespace": "vault", "labels": LABELS},
        "spec": {
            "replicas": replicas,
            "serviceName": "vault-internal",
            "selector": {"matchLabels": LABELS},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {
                    "securityContext": {"runAsUser": 100, "runAsGroup": 1000, "fsGroup": 1000},
                    "containers": [{"name": "vault", "image": "hashicorp/vault:1.18.3"}],
                },
            },
        },
        "status": {"replicas": replicas, "readyReplicas": replicas},
    }


def vault_pod(name: str, phase: str = "Running") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "vault", "labels": LABELS},
        "spec": {"nodeName": "n1", "containers": [{"name": "vault", "image": "x"}]},
        "status": {"phase": phase},
    }


def route_pod(kube: FakeKube, pod: str, vault: FakeVault) -> None:
    kube.route("*", rf"/api/v1/namespaces/vault/pods/{pod}:8200/proxy/.*", vault.kube_handler)


class VaultCluster:
    """`size` FakeVault servers, vault-0 active, behind FakeKube's pod proxy."""

    def __init__(self, kube: FakeKube, tmp_path: Path) -> None:
        self.kube = kube
        self.target = VaultTarget(
            cluster=ClusterTarget(kubeconfig=kube.kubeconfig(tmp_path / "kubeconfig"), timeout=2),
            timeout=2,
        )
        self.servers: dict[str, FakeVault] = {}

    def deploy(self, *servers: FakeVault) -> list[FakeVault]:
        self.kube.add(statefulset(len(servers)))
        peers = [
            {"node_id": f"vault-{i}", "address": f"vault-{i}.vault-internal:8201",
             "leader": i == 0, "voter": True}
            for i in range(len(servers))
        ]  # fmt: skip
        for i, server in enumerate(servers):
            name = f"vault-{i}"
            server.node_id, server.raft_servers = name, peers
            self.servers[name] = server
            self.kube.add(vault_pod(name))
            route_pod(self.kube, name, server)
        return list(servers)

    def deploy_real(self, raft: RaftCluster) -> RaftCluster:
        """The StatefulSet's pods are `raft`'s OpenBao servers: the pod proxy forwards to them."""
        self.kube.add(statefulset(raft.size))
        for node in raft.nodes:
            self.kube.add(vault_pod(node.name))
            self.kube.route("*", rf"/api/v1/namespaces/vault/pods/{node.name}:8200/proxy/.*",
                            forward_to(node.url))  # fmt: skip
        return raft


@pytest.fixture(scope="module")
def _kube_server() -> Iterator[FakeKube]:
    with FakeKube() as server:
        yield server


@pytest.fixture
def kube(_kube_server: FakeKube) -> FakeKube:
    """One FakeKube per module, emptied for each test (its shutdown takes about 0.4 s)."""
    server = _kube_server
    with server._lock:
        server.store.clear()
        server.logs.clear()
        server.requests.clear()
        server._routes.clear()
        server.latency = 0.0
    return server


@pytest.fixture
def cluster(kube: FakeKube, tmp_path: Path) -> VaultCluster:
    return VaultCluster(kube, tmp_path)


@pytest.fixture(scope="session")
def _bao_dev() -> Iterator[BaoProcess]:
    with dev_server() as server:
        yield server


@pytest.fixture
def bao(_bao_dev: BaoProcess) -> Iterator[BaoProcess]:
    """The session's OpenBao dev server (root token `root`); what a test mounts, enables or
    writes as a policy is removed afterwards, so each test starts from a fresh server."""
    url = _bao_dev.url

    def listing(path: str) -> set[str]:
        data = call(url, "GET", path, "root").json()["data"]
        return set(data.get("keys", data))

    before = {p: listing(p) for p in ("sys/mounts", "sys/auth", "sys/policies/acl?list=true")}
    yield _bao_dev
    for path, had in before.items():
        where = path.split("?")[0]
        for name in listing(path) - had:
            if where == "sys/mounts":  # its leases' database may be gone already
                call(url, "PUT", f"sys/leases/revoke-force/{name}", "root", timeout=30)
            reply = call(url, "DELETE", f"{where}/{name}", "root", timeout=30)
            assert reply.status_code in (200, 204), f"cleaning up {where}/{name}: {reply.text}"
