"""Drain: the PDB preflight, kubectl's pod filters, eviction with 429 retries, waiting, timeouts."""

from __future__ import annotations

import pytest
from lightkube import Client

from labctl.actions import drain
from labctl.actions.kube import get_json
from labctl.actions.plan import Executor, Plan, PlanRefused, PlanTimeout, Step, authorize
from tests.actions.objects import deployment, node, pdb, pod
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
    assert "1 pod still terminating: apps/web-1" in messages[2]
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


def test_a_crashlooping_single_replica_is_refused_with_what_would_unblock_it(
    fake: FakeKube, client: Client
) -> None:
    # Not Ready, so the budget has 0 of 1 healthy: the API answers 429 until the pod is Ready,
    # which waiting for the drain does not bring about.
    fake.add(
        node(NODE),
        pod(
            "pg-0",
            "db",
            node_name=NODE,
            owner=("StatefulSet", "pg"),
            labels={"app": "pg"},
            ready=False,
        ),
        pdb("pg", "db", {"app": "pg"}, allowed=0, healthy=0, desired=1, expected=1),
    )
    plan = plan_for(client)
    (refusal,) = plan.refusals
    assert refusal.startswith("db/pg-0 would block the drain forever: db/pg-0 is not Ready")
    assert "PDB db/pg (minAvailable: 1)" in refusal
    assert "labctl troubleshoot pod pg-0 -n db" in refusal
    assert "unhealthyPodEvictionPolicy: AlwaysAllow" in refusal
    assert not any("waits" in w for w in plan.warnings)


def vault_pod(name: str, node_name: str, *, sealed: bool = False) -> dict[str, object]:
    labels = {
        "app.kubernetes.io/name": "vault",
        "component": "server",
        "vault-sealed": str(sealed).lower(),
    }
    return pod(name, "vault", node_name=node_name, owner=("StatefulSet", "vault"), labels=labels)


def vault_cluster(fake: FakeKube, *, sealed: str | None) -> None:
    """Three Raft voters (vault-0 on the drained node) behind the chart's PDB, which allows one
    disruption: the chart's readiness probe counts a sealed replica as Ready."""
    labels = {"app.kubernetes.io/name": "vault", "component": "server"}
    fake.add(
        node(NODE),
        deployment("vault", "vault", replicas=3, labels=labels, kind="StatefulSet"),
        vault_pod("vault-0", NODE, sealed=sealed == "vault-0"),
        vault_pod("vault-1", "k8s-worker02", sealed=sealed == "vault-1"),
        vault_pod("vault-2", "k8s-worker03", sealed=sealed == "vault-2"),
        pdb(
            "vault",
            "vault",
            labels,
            allowed=1,
            healthy=3,
            desired=2,
            expected=3,
            min_available=None,
        ),
    )
    fake.update("PodDisruptionBudget", "vault", "vault", {"spec": {"maxUnavailable": 1}})


def test_a_drain_that_would_lose_vault_quorum_is_refused(fake: FakeKube, client: Client) -> None:
    vault_cluster(fake, sealed="vault-2")
    plan = plan_for(client)
    (refusal,) = plan.refusals
    assert refusal.startswith("evicting vault/vault-0 would lose quorum: Vault Raft")
    assert "keep 1 of 3 members working, below its quorum of 2" in refusal
    assert (
        "vault-2 (sealed). Bring the other members back first (labctl vault unseal vault-2)"
        in refusal
    )
    with pytest.raises(PlanRefused):
        authorize(plan, yes=True)
    assert not fake.calls("POST")


def test_vault_with_every_voter_working_drains(fake: FakeKube, client: Client) -> None:
    vault_cluster(fake, sealed=None)
    plan = plan_for(client)
    assert not plan.refused
    assert ("evict", "vault-0") in [(s.verb, s.name) for s in plan.steps]


def test_a_statefulset_whose_budget_guards_a_majority_keeps_its_quorum(
    fake: FakeKube, client: Client
) -> None:
    labels = {"app": "etcd"}
    fake.add(
        node(NODE),
        deployment("etcd", "kv", replicas=3, labels=labels, kind="StatefulSet"),
        pod("etcd-0", "kv", node_name=NODE, owner=("StatefulSet", "etcd"), labels=labels),
        pod("etcd-1", "kv", node_name="n2", owner=("StatefulSet", "etcd"), labels=labels),
        pod(
            "etcd-2",
            "kv",
            node_name="n3",
            owner=("StatefulSet", "etcd"),
            labels=labels,
            ready=False,
        ),
        pdb("etcd", "kv", labels, allowed=0, healthy=2, desired=2, expected=3, min_available=2),
    )
    (refusal,) = plan_for(client).refusals
    assert "the quorum (PDB kv/etcd guards a majority) of StatefulSet kv/etcd" in refusal
    assert (
        "etcd-2 (not Ready). Bring the other members back first "
        "(labctl troubleshoot pod etcd-2 -n kv)" in refusal
    )
