"""Argo CD refresh and sync against FakeKube, with the controller simulated by route handlers."""

from __future__ import annotations

import pytest
from lightkube import Client

from labctl.actions import argocd
from labctl.actions.plan import ActionFailed, Executor, Plan, PlanTimeout
from tests.actions.argo_objects import REFRESH, application, controller
from tests.support.fake_kube import FakeKube, Obj, Reply, Request


def run(client: Client, plan: Plan, timeout: float = 5) -> list[str]:
    done = Executor(argocd.step_applier(client, 0.01), timeout=timeout).run(plan)
    return [message for _, message in done]


def test_hard_refresh_sets_the_annotation_and_waits_for_the_controller(
    fake: FakeKube, client: Client
) -> None:
    fake.add(application("vault", sync="OutOfSync"))
    reads = controller(fake, "vault", after=3)
    plan = argocd.plan_refresh(argocd.read_app(client, "vault", "argocd"), hard=True)
    assert run(client, plan) == ["patched", "refreshed: Synced, Healthy"]
    (patch,) = fake.calls("PATCH")
    assert patch.body == {"metadata": {"annotations": {REFRESH: "hard"}}}
    assert len(reads) == 3
    assert REFRESH not in (
        fake.get("Application", "vault", "argocd")["metadata"].get("annotations") or {}
    )


def test_a_refresh_the_controller_never_picks_up_times_out(fake: FakeKube, client: Client) -> None:
    fake.add(application("vault"))
    plan = argocd.plan_refresh(argocd.read_app(client, "vault", "argocd"))
    with pytest.raises(PlanTimeout, match="the controller has not refreshed it yet"):
        run(client, plan, timeout=0.2)


def test_sync_patches_an_explicit_revision_with_a_precondition_and_waits(
    fake: FakeKube, client: Client
) -> None:
    fake.add(
        application(
            "taskapp", sync="OutOfSync", syncPolicy={"syncOptions": ["CreateNamespace=true"]}
        )
    )
    controller(fake, "taskapp", after=2)
    app = argocd.read_app(client, "taskapp", "argocd")
    plan = argocd.plan_sync(app, wait=True)
    assert not plan.refused
    assert run(client, plan) == ["operation set", "synced to fedcba98; health Healthy"]
    (patch,) = fake.calls("PATCH")
    assert patch.body["metadata"]["resourceVersion"]
    assert patch.body["operation"] == {
        "initiatedBy": {"username": "labctl"},
        "info": [{"name": "reason", "value": "labctl"}],
        "sync": {"prune": False, "revision": "main", "syncOptions": ["CreateNamespace=true"]},
    }


def test_multi_source_apps_get_one_revision_per_source(fake: FakeKube) -> None:
    app = application("stack", sources=[{"targetRevision": "v1.2.3"}, {"repoURL": "x"}])
    operation = argocd.sync_operation(app, revision=None, prune=True)
    assert operation["sync"] == {"prune": True, "revisions": ["v1.2.3", "HEAD"]}


@pytest.mark.parametrize(
    ("app", "why"),
    [
        (application("taskapp", phase="Running"), "taskapp has an operation running"),
        (application("taskapp", operation={"sync": {"revision": "main"}}), "operation pending"),
    ],
)
def test_sync_is_refused_while_an_operation_runs(app: Obj, why: str) -> None:
    (refusal,) = argocd.plan_sync(app).refusals
    assert why in refusal


def test_an_operation_started_after_planning_stops_the_sync(fake: FakeKube, client: Client) -> None:
    fake.add(application("taskapp"))
    plan = argocd.plan_sync(argocd.read_app(client, "taskapp", "argocd"))
    fake.update(
        "Application", "taskapp", "argocd", {"status": {"operationState": {"phase": "Running"}}}
    )
    with pytest.raises(ActionFailed, match="operation running now: not starting another"):
        run(client, plan)
    assert fake.calls("PATCH") == []


def test_a_concurrent_change_is_a_conflict_not_an_overwrite(fake: FakeKube, client: Client) -> None:
    fake.add(application("taskapp"))
    plan = argocd.plan_sync(argocd.read_app(client, "taskapp", "argocd"))

    stale = fake.get("Application", "taskapp", "argocd")

    def someone_else_writes_first(request: Request) -> Reply:
        fake.update("Application", "taskapp", "argocd", {"metadata": {"labels": {"x": "y"}}})
        return Reply(body=stale)

    fake.route("GET", r".*/applications/taskapp", someone_else_writes_first)
    with pytest.raises(ActionFailed, match="409 Conflict: Operation cannot be fulfilled"):
        run(client, plan)


def test_a_failed_sync_fails_the_command(fake: FakeKube, client: Client) -> None:
    fake.add(application("taskapp"))
    controller(fake, "taskapp", after=2, result="Failed")
    plan = argocd.plan_sync(argocd.read_app(client, "taskapp", "argocd"), wait=True)
    with pytest.raises(ActionFailed, match="sync Failed: sync failed: one or more objects"):
        run(client, plan)


def test_rows_show_sync_health_and_operation() -> None:
    row = argocd.AppRow.of(
        application("vault", sync="OutOfSync", health="Degraded", phase="Running")
    )
    assert (row.sync, row.health, row.operation, row.revision, row.target) == (
        "OutOfSync",
        "Degraded",
        "running",
        "01234567",
        "main",
    )


def test_a_revision_moves_only_the_git_sources_of_a_multi_source_app() -> None:
    chart = {"repoURL": "https://charts.example.com", "chart": "kps", "targetRevision": "88.5.3"}
    git = {"repoURL": "https://git.example.com/gitops.git", "path": "rendered/x"}
    app = application("monitoring", sources=[chart, {**git, "targetRevision": "main"}])
    plan = argocd.plan_sync(app, revision="4f1c2e9")
    assert plan.steps[0].body is not None
    assert plan.steps[0].body["operation"]["sync"]["revisions"] == ["88.5.3", "4f1c2e9"]
    assert plan.steps[0].reason == "to 88.5.3, 4f1c2e9"
    assert not plan.refused


def test_a_revision_for_an_app_of_charts_only_is_refused() -> None:
    chart = {"repoURL": "https://charts.example.com", "chart": "kps", "targetRevision": "88.5.3"}
    (refusal,) = argocd.plan_sync(application("charts", sources=[chart]), revision="abc").refusals
    assert "only Helm chart sources" in refusal
