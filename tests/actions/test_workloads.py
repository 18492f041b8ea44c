"""Workload plans: restart, scale, pod delete and jobs clean, planned from FakeKube's objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lightkube import Client

from labctl.actions import workloads
from labctl.actions.kube import get_json, list_json
from labctl.actions.plan import Executor, Plan, PlanTimeout
from tests.actions.objects import deployment, hpa, job, node, pdb, pod
from tests.support.fake_kube import FakeKube

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_restart_patches_the_template_annotation(fake: FakeKube, client: Client) -> None:
    fake.add(deployment("backend", "taskapp"))
    plan = workloads.plan_restart(
        workloads.read_workload(client, "Deployment", "backend", "taskapp"), NOW
    )
    assert not plan.refused
    Executor(workloads.step_applier(client)).run(plan)
    template = fake.get("Deployment", "backend", "taskapp")["spec"]["template"]
    assert template["metadata"]["annotations"] == {workloads.RESTARTED_AT: "2026-11-26T12:00:00Z"}


def test_restart_refuses_a_paused_deployment_and_warns_on_recreate(
    fake: FakeKube, client: Client
) -> None:
    paused = deployment("backend", "taskapp", paused=True)
    paused["spec"]["strategy"] = {"type": "Recreate"}
    fake.add(paused)
    plan = workloads.plan_restart(
        workloads.read_workload(client, "Deployment", "backend", "taskapp"), NOW
    )
    assert plan.refusals == ("backend is paused: resume it first (kubectl rollout resume)",)
    assert "Recreate strategy" in plan.warnings[0]


def scale_plan(client: Client, kind: str, name: str, replicas: int) -> Plan:
    return workloads.plan_scale(
        workloads.read_scale_inputs(client, kind, name, "taskapp"), replicas
    )


def test_scaling_to_zero_behind_a_pdb_or_with_a_pvc_is_refused(
    fake: FakeKube, client: Client
) -> None:
    postgres = deployment(
        "postgres",
        "taskapp",
        replicas=1,
        volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "pg-data"}}],
    )
    fake.add(
        postgres,
        pdb(
            "postgres", "taskapp", {"app": "postgres"}, allowed=0, healthy=1, desired=1, expected=1
        ),
    )
    plan = scale_plan(client, "Deployment", "postgres", 0)
    assert plan.refusals == (
        "PDB postgres (minAvailable: 1) protects postgres's pods: scaling to 0 is the outage it "
        "exists to prevent",
        "postgres holds data (PVC pg-data): scaling to 0 stops it",
    )


def test_statefulset_claim_templates_count_as_data(fake: FakeKube, client: Client) -> None:
    vault = deployment("vault", "taskapp", replicas=3, kind="StatefulSet")
    vault["spec"]["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {}}]
    fake.add(vault)
    (refusal,) = scale_plan(client, "StatefulSet", "vault", 0).refusals
    assert refusal == "vault holds data (PVC data-vault-*): scaling to 0 stops it"


def test_scaling_warns_about_hpas_argo_and_pdb_minimums(fake: FakeKube, client: Client) -> None:
    fake.add(
        deployment("backend", "taskapp", annotations={"argocd.argoproj.io/tracking-id": "x"}),
        hpa("backend", "taskapp", "backend"),
        pdb("backend", "taskapp", {"app": "backend"}, allowed=1, healthy=2, desired=1, expected=2),
    )
    plan = scale_plan(client, "Deployment", "backend", 1)
    assert not plan.refused
    assert plan.warnings == (
        "1 replica(s) with PDB backend (minAvailable: 1): node drains will block",
        "HPA backend manages backend (2-10): it will override this replica count",
        "backend is deployed by Argo CD: self-heal reverts this unless Git changes",
    )
    Executor(workloads.step_applier(client)).run(plan)
    assert fake.get("Deployment", "backend", "taskapp")["spec"]["replicas"] == 1


def test_force_deleting_a_statefulset_pod_explains_and_refuses(
    fake: FakeKube, client: Client
) -> None:
    fake.add(node("n1"), pod("vault-0", "vault", owner=("StatefulSet", "vault")))
    plan = workloads.plan_pod_delete(
        get_json(client, "Pod", "vault-0", "vault"), get_json(client, "Node", "n1"), force=True
    )
    assert plan.warnings == (workloads.FORCE_RISK,)
    (refusal,) = plan.refusals
    assert "two pods share one identity and volume" in refusal
    assert "node n1 Ready=True" in refusal
    uid = fake.get("Pod", "vault-0", "vault")["metadata"]["uid"]
    assert plan.steps[0].body == {"gracePeriodSeconds": 0, "uid": uid}


def test_a_graceful_delete_of_a_managed_pod_needs_nothing_more(
    fake: FakeKube, client: Client
) -> None:
    fake.add(pod("web-1", "apps"))
    uid = fake.get("Pod", "web-1", "apps")["metadata"]["uid"]
    plan = workloads.plan_pod_delete(get_json(client, "Pod", "web-1", "apps"), None, force=False)
    assert (plan.refusals, plan.warnings, plan.steps[0].body) == ((), (), {"uid": uid})
    ((_, said),) = Executor(workloads.step_applier(client)).run(plan)
    # Bound to a node: the API only marks it; the kubelet (here at once) finishes the delete.
    assert said == "Terminating, not gone yet: its kubelet stops it within 30s"
    assert fake.get("Pod", "web-1", "apps") is None
    (delete,) = fake.calls("DELETE")
    assert "gracePeriodSeconds" not in delete.body
    assert delete.body["preconditions"] == {"uid": uid}


def test_pods_delete_wait_follows_the_pod_until_it_is_gone(fake: FakeKube, client: Client) -> None:
    fake.kubelet_seconds = 0.3
    fake.add(pod("web-1", "apps"))
    plan = workloads.plan_pod_delete(
        get_json(client, "Pod", "web-1", "apps"), None, force=False, wait=True
    )
    executor = Executor(workloads.step_applier(client, 0.05), timeout=5)
    said = [message for _, message in executor.run(plan)]
    assert said == ["Terminating, not gone yet: its kubelet stops it within 30s", "all pods gone"]
    assert len(fake.calls("GET", "/api/v1/namespaces/apps/pods/web-1")) >= 2


def test_a_pod_whose_kubelet_never_finishes_keeps_terminating(
    fake: FakeKube, client: Client
) -> None:
    fake.kubelet_seconds = None  # the node's kubelet is gone
    fake.add(node("n1", ready="Unknown"), pod("web-1", "apps"))
    plan = workloads.plan_pod_delete(
        get_json(client, "Pod", "web-1", "apps"),
        get_json(client, "Node", "n1"),
        force=False,
        wait=True,
    )
    assert "node n1 Ready=Unknown: its kubelet may never confirm the deletion" in plan.warnings[0]
    with pytest.raises(PlanTimeout, match="1 pod still terminating: apps/web-1"):
        Executor(workloads.step_applier(client, 0.05), timeout=0.3).run(plan)
    assert fake.get("Pod", "web-1", "apps")["metadata"]["deletionTimestamp"]


def test_jobs_clean_picks_finished_jobs_older_than_the_cutoff(
    fake: FakeKube, client: Client
) -> None:
    fake.add(
        job("old-ok", "taskapp", state="Complete", finished="2026-11-25T10:00:00Z"),
        job("new-ok", "taskapp", state="Complete", finished="2026-11-26T11:30:00Z"),
        job("old-failed", "velero", state="Failed", finished="2026-11-20T10:00:00Z"),
        job("running", "velero", state=None, finished="2026-11-20T10:00:00Z"),
    )
    found = list_json(client, "Job")
    plan = workloads.plan_jobs_clean(found, NOW, timedelta(hours=1))
    assert [(s.target, s.reason) for s in plan.steps] == [
        ("Job taskapp/old-ok", "Completed 1d ago")
    ]
    plan = workloads.plan_jobs_clean(found, NOW, timedelta(hours=1), failed=True)
    assert [s.name for s in plan.steps] == ["old-ok", "old-failed"]
    Executor(workloads.step_applier(client)).run(plan)
    assert sorted(j["metadata"]["name"] for j in fake.objects("Job")) == ["new-ok", "running"]
    assert {r.body["propagationPolicy"] for r in fake.calls("DELETE")} == {"Background"}


@pytest.mark.parametrize(("text", "expected"), [("90s", 90), ("30m", 1800), ("7d", 604800)])
def test_ages_parse(text: str, expected: int) -> None:
    assert workloads.parse_age(text).total_seconds() == expected
    with pytest.raises(ValueError, match="not a duration"):
        workloads.parse_age("soon")


def test_kind_references_parse() -> None:
    assert workloads.parse_ref("sts/vault") == ("StatefulSet", "vault")
    assert workloads.parse_ref("backend") == ("Deployment", "backend")
    with pytest.raises(ValueError, match="unknown kind 'cronjob'"):
        workloads.parse_ref("cronjob/x")
