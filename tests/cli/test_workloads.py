"""`labctl restart|scale`, `pods delete`, `jobs clean` end to end through the main app."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from labctl.cli.exit_codes import EXIT_USAGE
from labctl.cli.main import app
from tests.actions.objects import deployment, job, node, pdb, pod
from tests.support.fake_kube import FakeKube

runner = CliRunner()


def labctl(kubeconfig: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--kubeconfig", str(kubeconfig)])
    return result.exit_code, result.output


def test_restart(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(deployment("backend", "taskapp"))
    code, output = labctl(kubeconfig, "restart", "deployment/backend", "-n", "taskapp", "--yes")
    assert code == 0, output
    assert "restart Deployment taskapp/backend: restart requested" in output
    annotations = fake.get("Deployment", "backend", "taskapp")["spec"]["template"]["metadata"]
    assert "kubectl.kubernetes.io/restartedAt" in annotations["annotations"]


def test_restart_unknown_kind_is_a_usage_error(kubeconfig: Path) -> None:
    code, output = labctl(kubeconfig, "restart", "cronjob/x")
    assert code == EXIT_USAGE
    assert "unknown kind 'cronjob'" in output


def test_scale_to_zero_is_refused_then_forced(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(
        deployment("postgres", "taskapp", replicas=1),
        pdb(
            "postgres", "taskapp", {"app": "postgres"}, allowed=0, healthy=1, desired=1, expected=1
        ),
    )
    code, output = labctl(
        kubeconfig, "scale", "deploy/postgres", "--replicas", "0", "-n", "taskapp", "--yes"
    )
    assert code == 3
    assert "x PDB postgres (minAvailable: 1) protects postgres's pods" in output
    assert fake.get("Deployment", "postgres", "taskapp")["spec"]["replicas"] == 1
    code, output = labctl(
        kubeconfig,
        "scale",
        "deploy/postgres",
        "--replicas",
        "0",
        "-n",
        "taskapp",
        "--yes",
        "--force",
        "--reason",
        "restore from backup",
    )
    assert code == 0, output
    assert fake.get("Deployment", "postgres", "taskapp")["spec"]["replicas"] == 0


def test_force_delete_of_a_statefulset_pod_explains_the_risk_first(
    fake: FakeKube, kubeconfig: Path
) -> None:
    fake.add(node("n1"), pod("vault-0", "vault", owner=("StatefulSet", "vault")))
    code, output = labctl(
        kubeconfig, "pods", "delete", "vault-0", "-n", "vault", "--force", "--yes"
    )
    assert code == 3
    assert output.index("! --force deletes the pod from the API at once") < output.index("refused:")
    assert fake.get("Pod", "vault-0", "vault") is not None
    code, output = labctl(
        kubeconfig,
        "pods",
        "delete",
        "vault-0",
        "-n",
        "vault",
        "--force",
        "--yes",
        "--reason",
        "n1 is powered off",
    )
    assert code == 0, output
    (delete,) = fake.calls("DELETE")
    assert delete.body["gracePeriodSeconds"] == 0


def test_jobs_clean_dry_run_then_apply(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(job("backup-1", "taskapp", state="Complete", finished="2026-01-01T00:00:00Z"))
    code, output = labctl(kubeconfig, "jobs", "clean", "--older-than", "1d", "--dry-run")
    assert code == 0
    assert "delete  Job taskapp/backup-1" in output
    assert fake.objects("Job")
    code, output = labctl(kubeconfig, "jobs", "clean", "--older-than", "1d", "--yes")
    assert code == 0
    assert fake.objects("Job") == []


def test_jobs_clean_with_nothing_to_do(fake: FakeKube, kubeconfig: Path) -> None:
    code, output = labctl(kubeconfig, "jobs", "clean")
    assert code == 0
    assert "nothing to do" in output


def test_server_errors_are_clear(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(deployment("backend", "taskapp"))
    fake.fail(r".*/deployments/backend", 500, method="PATCH")
    code, output = labctl(kubeconfig, "restart", "backend", "-n", "taskapp", "--yes")
    assert code == 1
    assert (
        "failed: patch Deployment taskapp/backend: 500 InternalError: injected failure (500)"
        in output
    )


def test_pods_delete_says_terminating_and_wait_follows_it(fake: FakeKube, kubeconfig: Path) -> None:
    fake.add(node("n1"), pod("web-1", "apps"), pod("web-2", "apps"))
    code, output = labctl(kubeconfig, "pods", "delete", "web-1", "-n", "apps", "--yes")
    assert code == 0, output
    assert "delete Pod apps/web-1: Terminating, not gone yet: its kubelet stops it" in output
    assert "deleted" not in output
    fake.kubelet_seconds = None  # from now on the kubelet never confirms
    code, output = labctl(
        kubeconfig, "pods", "delete", "web-2", "-n", "apps", "--yes", "--wait", "--timeout", "0.5"
    )
    assert code == 5, output
    assert "timed out at wait Pod apps/web-2: 1 pod still terminating: apps/web-2" in output


def test_warnings_from_the_api_server_are_shown(fake: FakeKube, kubeconfig: Path) -> None:
    labels = {"pod-security.kubernetes.io/warn": "restricted"}
    fake.add(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps", "labels": labels}},
        deployment("web", "apps"),
    )
    code, output = labctl(kubeconfig, "restart", "web", "-n", "apps", "--yes")
    assert code == 0, output
    (warning,) = [line for line in output.splitlines() if line.startswith("Warning:")]
    assert warning.startswith('Warning: would violate PodSecurity "restricted:latest": ')
    assert 'allowPrivilegeEscalation != false (container "main" must set' in warning
