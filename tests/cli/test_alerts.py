"""`labctl alerts` against Alertmanager's API served through FakeKube's service proxy."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from labctl.cli.alerts import alerts
from labctl.cluster.client import service_proxy_path
from tests.support.fake_kube import FakeKube, Obj, Reply

PATH = re.escape(service_proxy_path("monitoring", "alertmanager-operated", 9093, "api/v2/alerts"))
runner = CliRunner()


def alert(name: str, severity: str, namespace: str, state: str = "active") -> Obj:
    return {
        "labels": {"alertname": name, "severity": severity, "namespace": namespace},
        "annotations": {"summary": f"{name} in {namespace}"},
        "startsAt": "2026-11-26T10:00:00Z",
        "status": {"state": state, "silencedBy": [], "inhibitedBy": []},
    }


def run(kubeconfig: Path, *args: str) -> tuple[int, str]:
    import typer

    app = typer.Typer()
    app.command()(alerts)
    result = runner.invoke(app, [*args, "--kubeconfig", str(kubeconfig)])
    return result.exit_code, result.output


def test_alerts_grouped_by_name_and_severity_without_watchdog(
    fake: FakeKube, kubeconfig: Path
) -> None:
    body = [
        alert("PVCNearCapacity", "warning", "taskapp"),
        alert("PVCNearCapacity", "warning", "monitoring"),
        alert("VaultSealed", "critical", "vault"),
        alert("Watchdog", "none", ""),
        alert("HPAAtMaxReplicas", "warning", "taskapp", state="suppressed"),
    ]
    fake.route("GET", PATH, json_body=body)
    code, output = run(kubeconfig, "-o", "json")
    assert code == 0
    rows = json.loads(output)
    assert [(r["alertname"], r["severity"], r["firing"]) for r in rows] == [
        ("VaultSealed", "critical", 1),
        ("PVCNearCapacity", "warning", 2),
    ]
    assert rows[1]["where"] == "monitoring, taskapp"
    code, output = run(kubeconfig)
    assert output.splitlines()[1].split()[:3] == ["VaultSealed", "critical", "1"]


def test_only_watchdog_means_nothing_firing(fake: FakeKube, kubeconfig: Path) -> None:
    fake.route("GET", PATH, json_body=[alert("Watchdog", "none", "")])
    assert run(kubeconfig) == (0, "no alerts firing (Watchdog excluded)\n")


def test_unreachable_alertmanager_is_a_clear_error(fake: FakeKube, kubeconfig: Path) -> None:
    code, output = run(kubeconfig)
    assert code == 4
    assert "Alertmanager answered 404 through /api/v1/namespaces/monitoring/services/" in output
    assert 'services "alertmanager-operated" not found' in output
    service = {"metadata": {"name": "alertmanager-operated", "namespace": "monitoring"}}
    fake.add({"apiVersion": "v1", "kind": "Service", **service})
    code, output = run(kubeconfig)
    assert code == 4
    assert "Alertmanager answered 503 through /api/v1/namespaces/monitoring/services/" in output
    assert 'no endpoints available for service "alertmanager-operated"' in output
    fake.route("GET", PATH, Reply(body=[], delay=1.5))
    code, output = run(kubeconfig, "--request-timeout", "0.5")
    assert (code, output.strip()) == (
        4,
        "timed out waiting for the API server (see --request-timeout)",
    )
