"""`labctl argocd` end to end: list output, refresh, sync refusal and --wait, API errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from labctl.cli.argocd import app
from tests.actions.argo_objects import application, controller
from tests.support.fake_kube import FakeKube

runner = CliRunner()


def argocd(kubeconfig: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--kubeconfig", str(kubeconfig)])
    return result.exit_code, result.output


def test_list_as_table_and_json(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(application("vault"), application("taskapp", sync="OutOfSync", health="Degraded"))
    code, output = argocd(kubeconfig, "list")
    assert code == 0
    lines = output.splitlines()
    assert lines[0].split() == [
        "NAME",
        "PROJECT",
        "SYNC",
        "HEALTH",
        "REVISION",
        "TARGET",
        "OPERATION",
    ]
    assert lines[1].split() == [
        "taskapp",
        "platform",
        "OutOfSync",
        "Degraded",
        "01234567",
        "main",
        "Succeeded",
    ]
    code, output = argocd(kubeconfig, "list", "-o", "json")
    assert [a["name"] for a in json.loads(output)] == ["taskapp", "vault"]


def test_refresh_waits_for_the_controller(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(application("vault", sync="OutOfSync"))
    controller(fake, "vault", after=2)
    code, output = argocd(kubeconfig, "refresh", "vault", "--hard", "--poll", "0.01")
    assert code == 0, output
    assert "wait Application argocd/vault: refreshed: Synced, Healthy" in output


def test_refresh_timeout_exits_5(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(application("vault"))
    code, output = argocd(kubeconfig, "refresh", "vault", "--timeout", "0.1", "--poll", "0.02")
    assert code == 5
    assert "timed out at wait Application argocd/vault" in output


def test_sync_refused_while_running_exits_3(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(application("taskapp", phase="Running"))
    code, output = argocd(kubeconfig, "sync", "taskapp", "--yes")
    assert code == 3
    assert "taskapp has an operation running" in output
    assert fake.calls("PATCH") == []


def test_sync_wait_reports_the_result(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(application("taskapp", sync="OutOfSync"))
    controller(fake, "taskapp", after=2)
    code, output = argocd(
        kubeconfig, "sync", "taskapp", "--wait", "--yes", "--poll", "0.01", "--revision", "abc123"
    )
    assert code == 0, output
    assert "sync  Application argocd/taskapp  to abc123" in output
    assert "synced to fedcba98; health Healthy" in output


def test_missing_app_and_forbidden_list(fake: FakeKube, kubeconfig: Path) -> None:
    code, output = argocd(kubeconfig, "sync", "nope", "--yes")
    assert code == 4
    assert 'applications.argoproj.io "nope" not found' in output
    fake.fail(r"/apis/argoproj.io/v1alpha1/namespaces/argocd/applications", 403)
    code, output = argocd(kubeconfig, "list")
    assert (code, output.strip()) == (4, "API error: 403 Forbidden: injected failure (403)")
