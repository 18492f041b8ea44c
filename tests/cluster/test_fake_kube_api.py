"""The fake answers as a real API server does on what labctl relies on (API reference and
conventions): graceful deletion, preconditions, subresources, patch types, selectors, discovery
of kinds not served, the proxy, server-set metadata and PodSecurity admission."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from lightkube import Client

from labctl.cluster.client import ClusterTarget, _http, connect, pod_proxy_path
from tests.actions.objects import deployment, job, pdb, pod
from tests.support.fake_kube import FakeKube, Obj, Reply, Request

PODS = "/api/v1/namespaces/apps/pods"
MERGE = {"Content-Type": "application/merge-patch+json"}


@pytest.fixture
def fake() -> Iterator[FakeKube]:
    with FakeKube() as server:
        yield server


@pytest.fixture
def http(fake: FakeKube, tmp_path: Path) -> httpx2.Client:
    client: Client = connect(ClusterTarget(kubeconfig=fake.kubeconfig(tmp_path / "kc"), timeout=3))
    return _http(client)


def call(http: httpx2.Client, method: str, path: str, body: Any = None, **headers: str) -> Any:
    content = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **headers} if content else headers
    return http.request(method, path, content=content, headers=sent)


def test_a_pod_bound_to_a_node_terminates_until_its_kubelet_finishes(
    fake: FakeKube, http: httpx2.Client
) -> None:
    fake.kubelet_seconds = None
    fake.add(pod("web-1", "apps"))
    answer = call(http, "DELETE", f"{PODS}/web-1")
    assert answer.status_code == 200
    meta = answer.json()["metadata"]
    assert meta["deletionTimestamp"] and meta["deletionGracePeriodSeconds"] == 30
    assert call(http, "GET", f"{PODS}/web-1").json()["metadata"]["deletionTimestamp"]
    fake.finish("apps", "web-1")
    assert call(http, "GET", f"{PODS}/web-1").status_code == 404
    unbound = pod("pending-1", "apps", phase="Pending")
    del unbound["spec"]["nodeName"]
    fake.add(unbound, pod("web-2", "apps"))
    assert call(http, "DELETE", f"{PODS}/pending-1").status_code == 200
    assert fake.get("Pod", "pending-1", "apps") is None  # no kubelet to wait for
    call(http, "DELETE", f"{PODS}/web-2", {"gracePeriodSeconds": 0})
    assert fake.get("Pod", "web-2", "apps") is None  # forced: gone from the API at once


def test_foreground_deletion_of_a_job_waits_for_its_pods(
    fake: FakeKube, http: httpx2.Client
) -> None:
    fake.kubelet_seconds = None
    fake.add(job("backup-1", "apps", state="Complete", finished="2026-11-26T03:00:00Z"))
    uid = fake.get("Job", "backup-1", "apps")["metadata"]["uid"]
    worker = pod("backup-1-x", "apps", owner=None)
    worker["metadata"]["ownerReferences"] = [{"kind": "Job", "name": "backup-1", "uid": uid}]
    fake.add(worker)
    path = "/apis/batch/v1/namespaces/apps/jobs/backup-1"
    answer = call(http, "DELETE", path, {"propagationPolicy": "Foreground"})
    assert "foregroundDeletion" in answer.json()["metadata"]["finalizers"]
    assert fake.get("Pod", "backup-1-x", "apps")["metadata"]["deletionTimestamp"]
    assert fake.get("Job", "backup-1", "apps") is not None  # until its pod is gone
    fake.finish("apps", "backup-1-x")
    assert fake.get("Job", "backup-1", "apps") is None


def test_deleting_a_job_without_a_policy_orphans_its_pods_with_a_warning(
    fake: FakeKube, http: httpx2.Client
) -> None:
    fake.add(job("j", "apps", state="Complete", finished="2026-11-26T03:00:00Z"))
    uid = fake.get("Job", "j", "apps")["metadata"]["uid"]
    worker = pod("j-x", "apps", owner=None)
    worker["metadata"]["ownerReferences"] = [{"kind": "Job", "name": "j", "uid": uid}]
    fake.add(worker)
    answer = call(http, "DELETE", "/apis/batch/v1/namespaces/apps/jobs/j")
    assert "child pods are preserved by default" in answer.headers["warning"]
    assert answer.json()["metadata"]["finalizers"] == ["orphan"]  # for the garbage collector
    assert fake.get("Pod", "j-x", "apps")["metadata"]["ownerReferences"] == []
    assert fake.get("Job", "j", "apps") is None


def test_a_uid_precondition_that_does_not_match_is_a_conflict(
    fake: FakeKube, http: httpx2.Client
) -> None:
    fake.add(pod("web-1", "apps"))
    answer = call(http, "DELETE", f"{PODS}/web-1", {"preconditions": {"uid": "an-older-pod"}})
    assert answer.status_code == 409
    assert answer.json()["reason"] == "Conflict"
    assert "Precondition failed: UID in precondition: an-older-pod" in answer.json()["message"]
    assert fake.get("Pod", "web-1", "apps") is not None


def test_status_is_a_subresource_only_where_the_kind_declares_one(
    fake: FakeKube, http: httpx2.Client
) -> None:
    app: Obj = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "web", "namespace": "argocd"},
        "spec": {"project": "default"},
    }
    fake.add(app, deployment("web", "apps"))
    apps = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/web"
    assert call(http, "GET", f"{apps}/status").status_code == 404
    patch = {"status": {"sync": {"status": "Synced"}}}
    assert call(http, "PATCH", apps, patch, **MERGE).status_code == 200
    assert fake.get("Application", "web", "argocd")["status"] == patch["status"]
    deploy = "/apis/apps/v1/namespaces/apps/deployments/web"
    call(http, "PATCH", deploy, {"status": {"readyReplicas": 0}, "spec": {"replicas": 5}}, **MERGE)
    stored = fake.get("Deployment", "web", "apps")
    assert (stored["spec"]["replicas"], stored["status"]["readyReplicas"]) == (5, 2)
    both = {"status": {"readyReplicas": 1}, "spec": {"replicas": 9}}
    call(http, "PATCH", f"{deploy}/status", both, **MERGE)
    stored = fake.get("Deployment", "web", "apps")
    assert (stored["spec"]["replicas"], stored["status"]["readyReplicas"]) == (5, 1)


def test_patch_types_custom_resources_and_apply_refuse(fake: FakeKube, http: httpx2.Client) -> None:
    fake.add(
        {
            "apiVersion": "velero.io/v1",
            "kind": "Backup",
            "metadata": {"name": "b", "namespace": "velero"},
            "spec": {},
        },
        deployment("web", "apps"),
    )
    backup = "/apis/velero.io/v1/namespaces/velero/backups/b"
    strategic = {"Content-Type": "application/strategic-merge-patch+json"}
    answer = call(http, "PATCH", backup, {"spec": {"ttl": "1h"}}, **strategic)
    assert (answer.status_code, answer.json()["reason"]) == (415, "UnsupportedMediaType")
    deploy = "/apis/apps/v1/namespaces/apps/deployments/web"
    assert call(http, "PATCH", deploy, {"spec": {"paused": True}}, **strategic).status_code == 200
    apply = {"Content-Type": "application/apply-patch+yaml"}
    answer = call(http, "PATCH", deploy, {"spec": {"paused": False}}, **apply)
    assert answer.status_code == 422
    assert "fieldManager: Required value" in answer.json()["message"]
    assert call(http, "PATCH", f"{deploy}?fieldManager=t", {"spec": {}}, **apply).status_code == 200


def test_field_and_label_selectors(fake: FakeKube, http: httpx2.Client) -> None:
    fake.add(
        pod("a", "apps", labels={"tier": "web"}),
        pod("b", "apps", labels={"tier": "db"}),
        pod("c", "apps", labels={}),
    )

    def names(query: str) -> list[str] | int:
        answer = call(http, "GET", f"{PODS}?{query}")
        if answer.status_code != 200:
            return int(answer.status_code)
        return [p["metadata"]["name"] for p in answer.json()["items"]]

    assert names("labelSelector=tier in (web,db)") == ["a", "b"]
    assert names("labelSelector=tier notin (web)") == ["b", "c"]
    assert names("labelSelector=!tier") == ["c"]
    assert names("labelSelector=tier,tier!=db") == ["a"]
    assert names("fieldSelector=spec.nodeName=n1,metadata.name!=b") == ["a", "c"]
    answer = call(http, "GET", f"{PODS}?fieldSelector=spec.containers=x")
    assert (answer.status_code, answer.json()["message"]) == (
        400,
        "field label not supported: spec.containers",
    )


def test_a_kind_that_is_not_served_is_404_page_not_found(
    fake: FakeKube, http: httpx2.Client
) -> None:
    fake.unserve("certificaterequests.cert-manager.io")
    answer = call(http, "GET", "/apis/cert-manager.io/v1/namespaces/a/certificaterequests")
    assert (answer.status_code, answer.text) == (404, "404 page not found\n")
    assert answer.headers["content-type"].startswith("text/plain")
    discovered = call(http, "GET", "/apis/cert-manager.io/v1").json()["resources"]
    assert "certificaterequests" not in {r["name"] for r in discovered}
    core = call(http, "GET", "/api/v1/namespaces/a/widgets")
    assert (core.status_code, core.json()["kind"]) == (404, "Status")


def test_the_proxy_passes_the_upstream_through_and_checks_the_target(
    fake: FakeKube, http: httpx2.Client
) -> None:
    vault = pod("vault-0", "vault", podIPs=[{"ip": "10.1.0.7"}])
    fake.add(vault, pod("vault-1", "vault"))
    seen: list[Request] = []

    def sealed(request: Request) -> Reply:
        seen.append(request)
        return Reply(503, '{"sealed":true}', content_type="application/json")

    fake.upstream("pods", "vault", "vault-0", 8200, sealed)
    answer = http.get(pod_proxy_path("vault", "vault-0", 8200, "v1/sys/health"))
    assert (answer.status_code, answer.text) == (503, '{"sealed":true}')
    assert seen[0].path == "/v1/sys/health"
    no_ip = http.get(pod_proxy_path("vault", "vault-1", 8200, "v1/sys/health"))
    assert (no_ip.status_code, no_ip.json()["message"]) == (400, "address not allowed")
    missing = http.get(pod_proxy_path("vault", "vault-9", 8200, "v1/sys/health"))
    assert (missing.status_code, missing.json()["message"]) == (404, 'pods "vault-9" not found')


def test_the_server_sets_uid_creation_time_and_generation(
    fake: FakeKube, http: httpx2.Client
) -> None:
    body = deployment("web", "apps")
    body["metadata"].update(uid="mine", creationTimestamp="2001-01-01T00:00:00Z", generation=7)
    created = call(http, "POST", "/apis/apps/v1/namespaces/apps/deployments", body).json()
    meta = created["metadata"]
    assert meta["uid"] != "mine" and meta["creationTimestamp"] != "2001-01-01T00:00:00Z"
    assert meta["generation"] == 1 and "status" not in created  # status is the subresource's
    deploy = "/apis/apps/v1/namespaces/apps/deployments/web"
    labelled = call(http, "PATCH", deploy, {"metadata": {"labels": {"a": "b"}}}, **MERGE).json()
    assert labelled["metadata"]["generation"] == 1
    scaled = call(http, "PATCH", deploy, {"spec": {"replicas": 3}}, **MERGE).json()
    assert scaled["metadata"]["generation"] == 2
    assert scaled["metadata"]["uid"] == meta["uid"]


def test_remaining_item_count_only_without_selectors(fake: FakeKube, http: httpx2.Client) -> None:
    fake.add(*(pod(f"p{i}", "apps", labels={"app": "x"}) for i in range(3)))
    plain = call(http, "GET", f"{PODS}?limit=1").json()["metadata"]
    assert plain["remainingItemCount"] == 2 and plain["continue"]
    selected = call(http, "GET", f"{PODS}?limit=1&labelSelector=app%3Dx").json()["metadata"]
    assert "remainingItemCount" not in selected and selected["continue"]


def test_pod_security_enforce_refuses_and_warn_warns(fake: FakeKube, http: httpx2.Client) -> None:
    labels = {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
    }
    fake.add(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps", "labels": labels}}
    )
    privileged = pod("root", "apps")
    privileged["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    refused = call(http, "POST", PODS, privileged)
    assert refused.status_code == 403
    assert refused.json()["message"].startswith(
        'pods "root" is forbidden: violates PodSecurity "baseline:latest": privileged'
    )
    worker = job("backup", "apps", state=None, finished="")
    accepted = call(http, "POST", "/apis/batch/v1/namespaces/apps/jobs", worker)
    assert accepted.status_code == 201
    assert accepted.headers["warning"].startswith(
        '299 - "would violate PodSecurity \\"restricted:latest\\": allowPrivilegeEscalation'
    )


def test_eviction_follows_the_registry(fake: FakeKube, http: httpx2.Client) -> None:
    fake.kubelet_seconds = None
    fake.add(
        pdb("web", "apps", {"app": "web"}, allowed=1, healthy=2, desired=1, expected=2),
        pod("web-1", "apps", labels={"app": "web"}),
        pod("web-2", "apps", labels={"app": "web"}, ready=False),
        pod("web-3", "apps", labels={"app": "web"}, phase="Pending"),
    )

    def evict(name: str) -> int:
        body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}}
        return int(call(http, "POST", f"{PODS}/{name}/eviction", body).status_code)

    assert evict("web-2") == 201  # unready while the budget is met: no allowance used
    assert evict("web-3") == 201  # Pending: budgets do not apply
    assert evict("web-1") == 201
    budget = fake.get("PodDisruptionBudget", "web", "apps")["status"]
    assert budget["disruptionsAllowed"] == 0 and list(budget["disruptedPods"]) == ["web-1"]
    assert fake.get("Pod", "web-1", "apps")["metadata"]["deletionTimestamp"]  # Terminating
    assert evict("web-1") == 201  # already terminating: nothing left to protect
