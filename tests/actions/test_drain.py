"""Drain: the PDB preflight, kubectl's pod filters, eviction with 429 retries, waiting, timeouts."""

from __future__ import annotations

import pytest
from lightkube import Client

from labctl.actions import drain
from labctl.actions.kube import get_json
from labctl.actions.plan import Executor, Plan, PlanTimeout, Step
from tests.actions.objects import node, pdb, pod
from tests.support.fake_kube import FakeKube, Reply, Request

NODE = "k8s-worker01"


def homelab(fake: FakeKube) -> None:
    """The seed's worker: backend (PDB allows 1), one-replica PostgreSQL behind minAvailable 1,
    a DaemonSet pod, a static pod, Grafana with an emptyDir, and a bare debug pod."""
    fake.add(
        node(NODE),
        pod("backend-1", "taskapp", node_name=NODE, labels={"app": "backend"}),
        pdb("backend", "taskapp", {"app": "backend"}, allowed=1, healthy=2, desired=1, expected=2),
        pod(
            "postgres-0",
            "taskapp",
            node_name=NODE,
            owner=("StatefulSet", "postgres"),
            labels={"app": "postgres"},
        ),
        pdb(
            "postgres", "taskapp", {"app": "postgres"}, allowed=0, healthy=1, desired=1, expected=1
        ),
        pod("node-exporter-x", "monitoring", node_name=NODE, owner=("DaemonSet", "node-exporter")),
        pod(
            "etcd-k8s-worker01",
            "kube-system",
            node_name=NODE,
            owner=None,
            annotations={drain.MIRROR_ANNOTATION: "abc"},
        ),
        pod(
            "grafana-1", "monitoring", node_name=NODE, volumes=[{"name": "scratch", "emptyDir": {}}]
        ),
        pod("debug", "default", node_name=NODE, owner=None),
        pod("elsewhere", "taskapp", node_name="k8s-worker02", labels={"app": "postgres"}),
    )


def plan_for(client: Client, *, force: bool = False) -> Plan:
    return drain.plan_drain(drain.read_inputs(client, NODE), force=force)


def test_preflight_refuses_a_budget_that_blocks_forever_and_unmanaged_pods(
    fake: FakeKube, client: Client
) -> None:
    homelab(fake)
    plan = plan_for(client)
    assert plan.refused
    blocked, unmanaged = sorted(plan.refusals)
    assert blocked.startswith("default/debug has no controller")
    assert unmanaged.startswith(
        "taskapp/postgres-0 would block the drain forever: PDB "
        "taskapp/postgres (minAvailable: 1) allows 0 disruptions with "
        "1 of 1 pods healthy, 1 required"
    )
    assert fake.calls("POST") == [] and fake.calls("PATCH") == []


def test_kubectl_filters_skip_daemonset_and_mirror_pods_and_warn_on_emptydir(
    fake: FakeKube, client: Client
) -> None:
    homelab(fake)
    plan = plan_for(client, force=True)
    verbs = [(s.verb, s.target) for s in plan.steps]
    assert verbs == [
        ("cordon", f"Node {NODE}"),
        ("evict", "Pod default/debug"),
        ("evict", "Pod monitoring/grafana-1"),
        ("evict", "Pod taskapp/backend-1"),
        ("delete", "Pod taskapp/postgres-0"),
        ("wait", f"Node {NODE}"),
    ]
    warnings = "\n".join(plan.warnings)
    assert "monitoring/grafana-1: emptyDir data is lost (scratch)" in warnings
    assert "DaemonSet pods stay: monitoring/node-exporter-x" in warnings
    assert "static (mirror) pods stay: kube-system/etcd-k8s-worker01" in warnings
    assert "default/debug has no controller: it will not be recreated" in warnings
    assert "taskapp/postgres-0 is deleted, bypassing taskapp/postgres" in warnings
    assert len(plan.refusals) == 2  # still there: running it needs --force and a reason


def test_forced_drain_cordons_evicts_deletes_and_waits(fake: FakeKube, client: Client) -> None:
    homelab(fake)
    Executor(drain.step_applier(client), retry_interval=0.05).run(plan_for(client, force=True))
    assert fake.get("Node", NODE)["spec"]["unschedulable"] is True
    left = sorted(
        p["metadata"]["name"] for p in fake.objects("Pod") if p["spec"]["nodeName"] == NODE
    )
    assert left == ["etcd-k8s-worker01", "node-exporter-x"]
    evictions = [r.path for r in fake.calls("POST")]
    assert "/api/v1/namespaces/taskapp/pods/backend-1/eviction" in evictions
    assert [r.path for r in fake.calls("DELETE")] == ["/api/v1/namespaces/taskapp/pods/postgres-0"]


def test_evictions_blocked_by_429_are_retried_until_the_budget_allows(
    fake: FakeKube, client: Client
) -> None:
    # Two replicas, one not ready yet: not blocked forever, the budget opens after a while.
    fake.add(
        node(NODE),
        pod("web-1", "apps", node_name=NODE, labels={"app": "web"}),
        pdb("web", "apps", {"app": "web"}, allowed=0, healthy=1, desired=1, expected=2),
    )
    attempts = []

    def controller_catches_up(request: Request) -> Reply:
        attempts.append(request.path)
        if len(attempts) == 3:
            fake.update("PodDisruptionBudget", "web", "apps", {"status": {"disruptionsAllowed": 1}})
        return Reply(
            429,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "code": 429,
                "reason": "TooManyRequests",
                "message": "Cannot evict pod as it would violate the pod's disruption budget.",
            },
        )

    fake.route(
        "POST", r"/api/v1/namespaces/apps/pods/web-1/eviction", controller_catches_up, times=3
    )
    plan = plan_for(client)
    assert not plan.refused
    assert any("apps/web-1 waits: PDB apps/web" in w for w in plan.warnings)
    progress: list[str] = []
    Executor(
        drain.step_applier(client),
        lambda s, m: progress.append(f"{s.verb} {m}"),
        timeout=10,
        retry_interval=0.01,
    ).run(plan)
    assert len(fake.calls("POST", "/api/v1/namespaces/apps/pods/web-1/eviction")) == 4
    assert fake.get("Pod", "web-1", "apps") is None
    retries = [m for m in progress if "retrying in" in m]
    assert len(retries) == 3
    assert retries[0].startswith("evict blocked: 429 TooManyRequests: Cannot evict pod")


def test_a_drain_that_stays_blocked_times_out(fake: FakeKube, client: Client) -> None:
    fake.add(
        node(NODE),
        pod("web-1", "apps", node_name=NODE, labels={"app": "web"}),
        pdb("web", "apps", {"app": "web"}, allowed=0, healthy=1, desired=1, expected=2),
    )
    executor = Executor(drain.step_applier(client), timeout=0.3, retry_interval=0.05)
    with pytest.raises(PlanTimeout, match="timed out at evict Pod apps/web-1: blocked: 429"):
        executor.run(plan_for(client))
    assert fake.get("Pod", "web-1", "apps") is not None


def test_waits_until_evicted_pods_are_gone(fake: FakeKube, client: Client) -> None:
    fake.add(node(NODE), pod("web-1", "apps", node_name=NODE))
    plan = plan_for(client)
    stored = fake.get("Pod", "web-1", "apps")
    # The API accepts the eviction; the pod terminates over a few polls (newer routes win).
    fake.route(
        "POST", r".*/pods/web-1/eviction", Reply(201, {"kind": "Status", "status": "Success"})
    )
    fake.route(
        "GET",
        r"/api/v1/namespaces/apps/pods/web-1",
        Reply(
            404,
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "code": 404,
                "reason": "NotFound",
                "message": "gone",
            },
        ),
    )
    fake.route("GET", r"/api/v1/namespaces/apps/pods/web-1", Reply(200, stored), times=2)
    messages: list[str] = []
    Executor(drain.step_applier(client, 0.01), lambda s, m: messages.append(m)).run(plan)
    polls = fake.calls("GET", "/api/v1/namespaces/apps/pods/web-1")
    assert len(polls) == 3
    assert "1 pods still terminating: apps/web-1" in messages[2]
    assert messages[-1] == "all pods gone"


def test_two_budgets_on_one_pod_are_reported_before_the_api_answers_500(
    fake: FakeKube, client: Client
) -> None:
    fake.add(
        node(NODE),
        pod("web-1", "apps", node_name=NODE, labels={"app": "web", "tier": "front"}),
        pdb("web", "apps", {"app": "web"}, allowed=1, healthy=2, desired=1, expected=2),
        pdb("front", "apps", {"tier": "front"}, allowed=1, healthy=2, desired=1, expected=2),
    )
    (refusal,) = plan_for(client).refusals
    assert "more than one PDB selects it (apps/front, apps/web)" in refusal


def test_unhealthy_pods_may_go_when_the_budget_says_always_allow(
    fake: FakeKube, client: Client
) -> None:
    budget = pdb("pg", "db", {"app": "pg"}, allowed=0, healthy=0, desired=1, expected=1)
    budget["spec"]["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
    fake.add(
        node(NODE), pod("pg-0", "db", node_name=NODE, labels={"app": "pg"}, ready=False), budget
    )
    assert not plan_for(client).refused


def test_uncordon_clears_unschedulable(fake: FakeKube, client: Client) -> None:
    fake.add(node(NODE, unschedulable=True))
    plan = drain.plan_uncordon(get_json(client, "Node", NODE))
    assert plan.steps == (Step("uncordon", "Node", None, NODE, "allow scheduling again"),)
    Executor(drain.step_applier(client)).run(plan)
    assert "unschedulable" not in fake.get("Node", NODE)["spec"]


def test_pods_that_must_wait_for_their_budget_are_evicted_last(
    fake: FakeKube, client: Client
) -> None:
    fake.add(
        node(NODE),
        pod("a-web-1", "apps", node_name=NODE, labels={"app": "web"}),
        pdb("web", "apps", {"app": "web"}, allowed=0, healthy=1, desired=1, expected=2),
        pod("b-api-1", "apps", node_name=NODE, labels={"app": "api"}),
    )
    names = [s.name for s in plan_for(client).steps if s.verb == "evict"]
    assert names == ["b-api-1", "a-web-1"]
