"""`labctl recover` end to end: live collection from FakeKube, the automatic sync, the stop."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from labctl.cli.main import app
from labctl.cluster.client import pod_proxy_path
from tests.actions.argo_objects import application, controller
from tests.actions.objects import pod
from tests.actions.test_recover import ACTIVE, SEAL_OK, SEALED, STANDBY
from tests.support.fake_kube import FakeKube, Obj, Reply

runner = CliRunner()


def vault(fake: FakeKube, healths: dict[str, tuple[int, Obj]]) -> None:
    for name, (status, health) in healths.items():
        fake.add(
            pod(
                name,
                "vault",
                owner=("StatefulSet", "vault"),
                labels={"app.kubernetes.io/name": "vault", "component": "server"},
            )
        )
        health_path = re.escape(pod_proxy_path("vault", name, 8200, "v1/sys/health"))
        fake.route("GET", health_path + r".*", Reply(status, health))
        seal_path = re.escape(pod_proxy_path("vault", name, 8200, "v1/sys/seal-status"))
        fake.route("GET", seal_path, Reply(200, {**SEAL_OK, "sealed": health["sealed"]}))


def recover(kubeconfig: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["recover", "--kubeconfig", str(kubeconfig), "--poll", "0.01", *args]
    )
    return result.exit_code, result.output


def test_recover_syncs_a_drifted_app_and_reports_every_stage_fine(
    fake: FakeKube, kubeconfig: Path
) -> None:
    vault(fake, {"vault-0": (200, ACTIVE), "vault-1": (429, STANDBY), "vault-2": (429, STANDBY)})
    fake.add(application("taskapp", sync="OutOfSync"))
    controller(fake, "taskapp", after=1)
    code, output = recover(kubeconfig, "--yes")
    assert code == 0, output
    assert "  5. applications  automatic" in output
    assert "refresh  Application argocd/taskapp" in output
    assert "wait Application argocd/taskapp: synced to fedcba98; health Healthy" in output
    patches = [r.body for r in fake.calls("PATCH")]
    assert "operation" in patches[1] and patches[0]["metadata"]["annotations"]


def test_recover_stops_at_a_sealed_vault_and_names_the_command(
    fake: FakeKube, kubeconfig: Path
) -> None:
    vault(fake, {"vault-0": (503, SEALED), "vault-1": (503, SEALED), "vault-2": (503, SEALED)})
    fake.add(application("taskapp", sync="OutOfSync"))
    code, output = recover(kubeconfig, "--yes")
    assert code == 1
    assert "  1. Vault         needs a person" in output
    assert "  2. Argo CD       not checked" in output
    assert "stopped at Vault: it needs a person. Next: labctl vault unseal vault-0" in output
    assert fake.calls("PATCH") == []


def test_recover_without_yes_only_shows_the_plan(fake: FakeKube, kubeconfig: Path) -> None:
    vault(fake, {"vault-0": (200, ACTIVE), "vault-1": (429, STANDBY), "vault-2": (429, STANDBY)})
    fake.add(application("taskapp", health="Degraded"))
    code, output = recover(kubeconfig, "--dry-run")
    assert code == 0
    assert "sync     Application argocd/taskapp" in output
    assert fake.calls("PATCH") == []
