"""The fake API server speaks the protocol real clients expect: lightkube and kubectl."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from lightkube import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Namespace, Node, Pod
from lightkube.resources.policy_v1 import PodDisruptionBudget

from labctl.cluster.client import ClusterError, ClusterTarget, connect, pod_proxy_path, proxy_get
from labctl.cluster.crds import Backup
from tests.support.fake_kube import FakeKube, Obj, Reply
from tests.support.tools import require


def pod(name: str, namespace: str = "default", labels: dict[str, str] | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "x:1"}]},
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.9",
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


@pytest.fixture
def fake() -> Iterator[FakeKube]:
    with FakeKube() as server:
        yield server


@pytest.fixture
def target(fake: FakeKube, tmp_path: Path) -> ClusterTarget:
    return ClusterTarget(kubeconfig=fake.kubeconfig(tmp_path / "kubeconfig"), timeout=2)


def test_list_pages_through_continue_tokens(fake: FakeKube, target: ClusterTarget) -> None:
    fake.add(*(pod(f"p{i:02}", "apps") for i in range(25)))
    client = connect(target)
    names = [p.metadata.name for p in client.list(Pod, namespace="*", chunk_size=10)]
    assert names == [f"p{i:02}" for i in range(25)]
    limits = [r.param("limit") for r in fake.calls("GET", "/api/v1/pods")]
    assert limits == ["10", "10", "10"]


def test_selectors_filter_lists(fake: FakeKube, target: ClusterTarget) -> None:
    fake.add(pod("a", labels={"app": "web"}), pod("b", labels={"app": "db"}))
    client = connect(target)
    assert [p.metadata.name for p in client.list(Pod, labels={"app": "db"})] == ["b"]
    assert [p.metadata.name for p in client.list(Pod, fields={"metadata.name": "a"})] == ["a"]


def test_crud_and_status_errors(fake: FakeKube, target: ClusterTarget) -> None:
    client = connect(target)
    client.create(Namespace(metadata=ObjectMeta(name="team")))
    with pytest.raises(ApiError) as conflict:
        client.create(Namespace(metadata=ObjectMeta(name="team")))
    assert conflict.value.status.code == 409
    client.patch(Namespace, "team", {"metadata": {"labels": {"tier": "apps"}}})
    assert client.get(Namespace, "team").metadata.labels == {"tier": "apps"}
    client.delete(Namespace, "team")
    with pytest.raises(ApiError) as missing:
        client.get(Namespace, "team")
    assert missing.value.status.code == 404


def test_custom_resources_round_trip(fake: FakeKube, target: ClusterTarget) -> None:
    client = connect(target)
    client.create(Backup(metadata=ObjectMeta(name="b1", namespace="velero"), spec={"ttl": "1h"}))
    fake.update("Backup", "b1", "velero", {"status": {"phase": "Completed"}})
    backup = client.get(Backup, "b1", namespace="velero")
    assert backup.status == {"phase": "Completed"}


def test_eviction_honours_disruption_budgets(fake: FakeKube, target: ClusterTarget) -> None:
    budget = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "pg", "namespace": "db"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "pg"}}},
        "status": {"disruptionsAllowed": 0, "currentHealthy": 1, "desiredHealthy": 1},
    }
    fake.add(budget, pod("pg-0", "db", {"app": "pg"}), pod("web-0", "db", {"app": "web"}))
    client = connect(target)
    eviction = Pod.Eviction(metadata=ObjectMeta(name="pg-0", namespace="db"))
    with pytest.raises(ApiError) as blocked:
        client.create(eviction, name="pg-0", namespace="db")
    assert blocked.value.status.code == 429
    assert "disruption budget pg needs 1 healthy pods" in str(blocked.value.status.details)
    evict_web = Pod.Eviction(metadata=ObjectMeta(name="web-0", namespace="db"))
    client.create(evict_web, name="web-0", namespace="db")
    assert fake.get("Pod", "web-0", "db") is None
    assert client.get(PodDisruptionBudget, "pg", namespace="db").status.disruptionsAllowed == 0


def test_scale_subresource(fake: FakeKube, target: ClusterTarget) -> None:
    fake.add(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 2, "selector": {}, "template": {}},
        }
    )
    client = connect(target)
    client.patch(Deployment.Scale, "web", {"spec": {"replicas": 5}}, namespace="default")
    assert fake.get("Deployment", "web", "default")["spec"]["replicas"] == 5


def test_proxy_routes_and_injected_faults(fake: FakeKube, target: ClusterTarget) -> None:
    path = pod_proxy_path("vault", "vault-0", 8200, "v1/sys/health")
    fake.route("GET", path, json_body={"sealed": False, "standby": True}, status=429)
    client = connect(target)
    response = proxy_get(client, path)
    assert (response.status, response.json()["standby"]) == (429, True)
    unrouted = proxy_get(client, pod_proxy_path("vault", "vault-1", 8200, "v1/sys/health"))
    assert unrouted.status == 404  # no such pod
    fake.fail("/api/v1/nodes", 403)
    with pytest.raises(ApiError) as forbidden:
        list(client.list(Node))
    assert forbidden.value.status.code == 403


def test_slow_replies_time_out(fake: FakeKube, target: ClusterTarget) -> None:
    fake.route("GET", "/api/v1/nodes", Reply(body={"items": []}, delay=3))
    with pytest.raises(httpx2.TimeoutException):
        list(connect(target).list(Node))


def test_a_wrong_token_is_unauthorized(fake: FakeKube, tmp_path: Path) -> None:
    path = fake.kubeconfig(tmp_path / "kubeconfig")
    path.write_text(path.read_text().replace(fake.token, "stolen"))
    with pytest.raises(ApiError) as denied:
        list(connect(ClusterTarget(kubeconfig=path)).list(Node))
    assert denied.value.status.code == 401


def test_a_missing_kubeconfig_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="cannot load a kubeconfig"):
        connect(ClusterTarget(kubeconfig=tmp_path / "nope"))


def test_kubectl_reads_from_the_fake(fake: FakeKube, target: ClusterTarget) -> None:
    kubectl = require("kubectl", "kubectl")
    fake.add(pod("a", "apps"), pod("b", "apps"))
    result = subprocess.run(
        [kubectl, "--kubeconfig", str(target.kubeconfig), "get", "pods", "-A", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert [i["metadata"]["name"] for i in json.loads(result.stdout)["items"]] == ["a", "b"]
