"""hvac and raw calls reach Vault through the API server's pod proxy, and at an address: on a
real one-node OpenBao; scripted faults (5xx, a slow answer, an https listener) on the fake."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from labctl.vault.connection import VaultTarget, nodes, vault_errors
from labctl.vault.errors import VaultError
from tests.support.fake_vault import FakeVault
from tests.support.openbao import RaftCluster
from tests.vault.conftest import VaultCluster


@pytest.fixture(scope="module")
def server() -> Iterator[RaftCluster]:
    cluster = RaftCluster(size=1)
    try:
        yield cluster.start()
    finally:
        cluster.close()


def test_hvac_reads_and_writes_through_the_pod_proxy(
    cluster: VaultCluster, server: RaftCluster
) -> None:
    cluster.deploy_real(server)
    (node,) = nodes(cluster.target)
    client = node.hvac(server.root_token)
    client.sys.create_or_update_acl_policy("app", 'path "x" { capabilities = ["read"] }')
    assert client.sys.read_acl_policy("app")["data"]["policy"].startswith('path "x"')
    assert "app" in client.list("sys/policies/acl")["data"]["keys"]  # GET ?list=true
    listed = cluster.kube.calls(
        "GET", "/api/v1/namespaces/vault/pods/vault-0:8200/proxy/v1/sys/policies/acl"
    )
    assert any((c.param("list") or "").lower() == "true" for c in listed)


def test_direct_address_with_hvac(server: RaftCluster) -> None:
    (node,) = nodes(VaultTarget(address=server.urls[0], timeout=5))
    peers = node.hvac(server.root_token).sys.read_raft_config()["data"]["config"]["servers"]
    assert [p["node_id"] for p in peers] == ["vault-0"]


def test_permission_denied_is_a_clear_message(server: RaftCluster) -> None:
    (node,) = nodes(VaultTarget(address=server.urls[0], timeout=5))
    with pytest.raises(VaultError, match="permission denied"), vault_errors("read policy app"):
        node.hvac("s.not-a-token").sys.read_acl_policy("app")


def test_raw_calls_keep_health_codes_as_data(cluster: VaultCluster) -> None:
    cluster.deploy(FakeVault(), FakeVault(standby=True))
    replies = [n.call("GET", "sys/health") for n in nodes(cluster.target)]
    assert [r.status for r in replies] == [200, 429]


def test_https_listener_goes_through_the_https_pod_proxy(cluster: VaultCluster) -> None:
    cluster.deploy(FakeVault())
    vault = FakeVault()
    cluster.kube.route(
        "*", r"/api/v1/namespaces/vault/pods/https:vault-0:8200/proxy/.*", vault.kube_handler
    )
    (node,) = nodes(replace(cluster.target, scheme="https"))
    assert node.call("GET", "sys/health").status == 200
    assert vault.calls("GET", "sys/health")


@pytest.mark.parametrize(
    ("status", "words"),
    [(500, r"Vault failed \(500"), (503, "sealed or unavailable")],  # scripted faults
)
def test_api_errors_become_clear_messages(cluster: VaultCluster, status: int, words: str) -> None:
    (vault,) = cluster.deploy(FakeVault())
    vault.fail(r"sys/policies/acl/app", status)
    (node,) = nodes(cluster.target)
    with pytest.raises(VaultError, match=words), vault_errors("read policy app"):
        node.hvac(vault.root_token).sys.read_acl_policy("app")


def test_timeout_is_a_clear_message(cluster: VaultCluster) -> None:
    (vault,) = cluster.deploy(FakeVault())
    vault.delay = 0.8
    (node,) = nodes(replace(cluster.target, timeout=0.4))
    with pytest.raises(VaultError, match=r"no answer within 0\.4 s"):
        node.call("GET", "sys/health")


def test_pod_not_running_names_the_api_server(cluster: VaultCluster) -> None:
    cluster.deploy(FakeVault())
    cluster.kube.fail(r"/api/v1/namespaces/vault/pods/vault-0:8200/proxy/.*", 503, method="*")
    (node,) = nodes(cluster.target)
    assert "API server could not reach Vault" in node.call("GET", "sys/health").errors
