"""`labctl troubleshoot` end to end: text and JSON views, the `app` alias, API errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from labctl.cli.troubleshoot import app
from tests.actions.argo_objects import application
from tests.actions.objects import node, pod
from tests.support.fake_kube import FakeKube

runner = CliRunner()


def troubleshoot(kubeconfig: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--kubeconfig", str(kubeconfig)])
    return result.exit_code, result.output


def test_pod_as_text_and_json(fake: FakeKube, kubeconfig: Path) -> None:
    evicted = pod(
        "web-1",
        "apps",
        phase="Failed",
        ready=False,
        reason="Evicted",
        message="The node was low on resource: memory.",
    )
    fake.add(node("n1"), evicted)
    code, output = troubleshoot(kubeconfig, "pod", "web-1", "-n", "apps")
    assert code == 0
    assert "Phase:         Failed (Evicted: The node was low on resource: memory.)" in output
    assert "[LAB-205 pod-evicted]" in output
    code, output = troubleshoot(kubeconfig, "pod", "web-1", "-n", "apps", "-o", "json")
    view = json.loads(output)
    assert view["title"] == "Pod apps/web-1"
    assert view["causes"][0]["source"].startswith("LAB-205")


def test_app_is_an_alias_of_argocd(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(application("vault", sync="OutOfSync"))
    code, output = troubleshoot(kubeconfig, "app", "vault")
    assert code == 0
    assert "Sync:           OutOfSync (target main, at 01234567)" in output
    assert "[LAB-401 argocd-app-out-of-sync]" in output


def test_missing_objects_and_forbidden_reads(fake: FakeKube, kubeconfig: Path) -> None:
    code, output = troubleshoot(kubeconfig, "certificate", "nope", "-n", "x")
    assert (code, output.strip()) == (
        4,
        'API error: 404 NotFound: certificates.cert-manager.io "nope" not found',
    )
    fake.add(node("n1"))
    fake.fail("/api/v1/pods", 403)
    code, output = troubleshoot(kubeconfig, "node", "n1")
    assert (code, output.strip()) == (4, "API error: 403 Forbidden: injected failure (403)")
