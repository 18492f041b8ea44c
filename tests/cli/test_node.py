"""`labctl node drain|uncordon` end to end against FakeKube: output, exit codes, API errors."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from labctl.cli.node import app
from tests.actions.objects import node, pdb, pod
from tests.support.fake_kube import FakeKube, Reply

NODE = "k8s-worker01"
runner = CliRunner()


def seed(fake: FakeKube) -> None:
    fake.add(
        node(NODE),
        pod("backend-1", "taskapp", node_name=NODE, labels={"app": "backend"}),
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
    )


def drain(kubeconfig: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["drain", NODE, "--kubeconfig", str(kubeconfig), *args])
    return result.exit_code, result.output


def test_drain_refuses_and_changes_nothing(fake: FakeKube, kubeconfig: Path) -> None:
    seed(fake)
    code, output = drain(kubeconfig, "--yes")
    assert code == 3
    assert "x taskapp/postgres-0 would block the drain forever" in output
    assert "refused: taskapp/postgres-0 would block" in output
    assert fake.calls("PATCH") == [] and fake.calls("POST") == []


def test_dry_run_shows_the_plan(fake: FakeKube, kubeconfig: Path) -> None:
    seed(fake)
    fake.update("PodDisruptionBudget", "postgres", "taskapp", {"status": {"disruptionsAllowed": 1}})
    code, output = drain(kubeconfig, "--dry-run")
    assert code == 0
    assert f"Plan: drain node {NODE} (4 steps)" in output
    assert "evict   Pod taskapp/postgres-0" in output
    assert fake.calls("PATCH") == []


def test_force_without_a_reason_is_refused(fake: FakeKube, kubeconfig: Path) -> None:
    seed(fake)
    code, _ = drain(kubeconfig, "--yes", "--force")
    assert code == 3
    assert fake.get("Pod", "postgres-0", "taskapp") is not None


def test_forced_drain_with_a_reason_runs(fake: FakeKube, kubeconfig: Path) -> None:
    seed(fake)
    code, output = drain(kubeconfig, "--yes", "--force", "--reason", "disk replacement")
    assert code == 0, output
    assert "refusals overridden with --force: disk replacement" in output
    assert "delete Pod taskapp/postgres-0: Terminating, not gone yet" in output
    assert fake.get("Node", NODE)["spec"]["unschedulable"] is True
    assert fake.get("Pod", "postgres-0", "taskapp") is None


def test_without_yes_and_no_terminal_nothing_happens(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(node(NODE))
    code, output = drain(kubeconfig)
    assert code == 3
    assert "re-run with --yes" in output


def test_timeout_exits_5(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(
        node(NODE),
        pod("web-1", "apps", node_name=NODE, labels={"app": "web"}),
        pdb("web", "apps", {"app": "web"}, allowed=0, healthy=1, desired=1, expected=2),
    )
    code, output = drain(kubeconfig, "--yes", "--timeout", "0.2", "--retry-interval", "0.05")
    assert code == 5
    assert "evict Pod apps/web-1: blocked: 429 TooManyRequests" in output
    assert "timed out at evict Pod apps/web-1" in output


def test_forbidden_unknown_and_slow_apis_are_clear_errors(fake: FakeKube, kubeconfig: Path) -> None:
    code, output = drain(kubeconfig, "--yes")
    assert (code, output.strip()) == (4, f'API error: 404 NotFound: nodes "{NODE}" not found')
    fake.add(node(NODE))
    fake.fail("/api/v1/pods", 403)
    code, output = drain(kubeconfig, "--yes")
    assert (code, output.strip()) == (4, "API error: 403 Forbidden: injected failure (403)")
    fake.route("GET", f"/api/v1/nodes/{NODE}", Reply(body={}, delay=1.5))
    code, output = drain(kubeconfig, "--yes", "--request-timeout", "0.5")
    assert code == 4
    assert "timed out waiting for the API server" in output


def test_a_server_error_during_eviction_fails_the_drain(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(node(NODE), pod("web-1", "apps", node_name=NODE))
    fake.fail(r".*/eviction", 500, method="POST")
    code, output = drain(kubeconfig, "--yes")
    assert code == 1
    assert "failed: evicting Pod apps/web-1: 500 InternalError: injected failure (500)" in output


def test_uncordon(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(node(NODE, unschedulable=True))
    result = runner.invoke(app, ["uncordon", NODE, "--kubeconfig", str(kubeconfig), "--yes"])
    assert result.exit_code == 0
    assert "uncordon Node k8s-worker01: patched" in result.output
    assert fake.get("Node", NODE)["spec"] == {}


def test_objects_a_client_model_would_reject_are_still_drained(
    fake: FakeKube, kubeconfig: Path
) -> None:
    # Hand-made or partial objects (nodeInfo without architecture, a container status without
    # imageID) are what snapshots and fakes hold; the drain reads plain JSON and copes.
    partial = node(NODE)
    partial["status"]["nodeInfo"] = {"kubeletVersion": "v1.31.4"}
    web = pod("web-1", "apps", node_name=NODE)
    web["status"]["containerStatuses"] = [{"name": "main", "ready": True, "restartCount": 0}]
    fake.add(partial, web)
    code, output = drain(kubeconfig, "--yes")
    assert code == 0, output
    assert fake.get("Pod", "web-1", "apps") is None
