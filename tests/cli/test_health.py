"""`labctl health`, `labctl checks` and `labctl snapshot save` through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import typer.main
from typer.testing import CliRunner

from labctl.checks import AREAS, all_checks
from labctl.cli.main import app
from labctl.platform.components.health_cronjob import manifests
from tests.cluster.homelab_fake import HOMELAB, serve_homelab
from tests.support.fake_kube import FakeKube, Reply
from tests.support.tools import require

runner = CliRunner()
SNAP = ["health", "--snapshot", str(HOMELAB)]


def test_table_groups_findings_by_area_with_a_summary() -> None:
    result = runner.invoke(app, SNAP)
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert lines[-1] == (
        f"3 critical, 14 warning in 9 of 9 areas (exit 2; {HOMELAB}, 2026-11-26 06:00 UTC)"
    )
    assert "\x1b[" not in result.output  # no colour when not on a terminal
    areas = [
        line.split("│")[1].strip() for line in lines if line.startswith("│") and line[1] != " "
    ]
    assert areas[::2] == list(AREAS)
    text = " ".join(result.output.replace("│", " ").split())
    assert "Vault runs 2 Raft voters (vault-0, vault-1): quorum is 2, it tolerates 0" in text
    assert "OOMKilled (exit code 137)" in text
    assert "-> labctl node uncordon k8s-worker05 when maintenance is over" in text


def test_json_has_a_schema_version_and_per_area_status() -> None:
    result = runner.invoke(app, [*SNAP, "-o", "json"])
    doc = json.loads(result.output)
    assert (doc["schemaVersion"], doc["kind"], doc["exitCode"]) == (1, "HealthReport", 2)
    assert doc["takenAt"] == "2026-11-26T06:00:00Z" and doc["context"] == "homelab"
    assert {a: s["status"] for a, s in doc["areas"].items()} == {
        "nodes": "warning",
        "workloads": "critical",
        "vault": "warning",
        "argocd": "warning",
        "backups": "critical",
        "certificates": "warning",
        "storage": "warning",
        "scaling": "warning",
        "alerts": "warning",
    }
    ids = sorted({f["checkId"] for f in doc["findings"]})
    expected = {"LAB-104", "LAB-201", "LAB-209", "LAB-304", "LAB-401", "LAB-501", "LAB-502"}
    expected |= {"LAB-503", "LAB-505", "LAB-602", "LAB-703", "LAB-705", "LAB-801", "LAB-805"}
    expected |= {"LAB-902"}
    assert set(ids) == expected
    first = doc["findings"][0]
    assert set(first) == {"checkId", "check", "severity", "area", "object", "message", "hint"}
    assert len(doc["checks"]) == len(all_checks()) and doc["unknown"] == []


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--only", "vault"], 1),
        (["--only", "vault", "--ignore", "LAB-304"], 0),
        (["--only", "vault", "--ignore", "vault-raft-no-fault-tolerance"], 0),
        (["--only", "nodes", "--only", "scaling"], 1),
        (["--ignore", "pod-crashloop", "--ignore", "LAB-501", "--ignore", "LAB-502"], 1),
    ],
)
def test_only_and_ignore_select_checks(args: list[str], code: int) -> None:
    assert runner.invoke(app, [*SNAP, *args]).exit_code == code


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "dns"], "unknown area dns"),
        (["--ignore", "LAB-999"], "unknown check LAB-999"),
        (["-o", "yaml"], "choose from table, json, junit, prometheus"),
    ],
)
def test_usage_errors_exit_2_with_a_message(args: list[str], message: str) -> None:
    result = runner.invoke(app, [*SNAP, *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.replace("│", " ").split())


def test_missing_data_is_exit_3(tmp_path: Path) -> None:
    (tmp_path / "nodes.json").write_text(json.dumps({"kind": "List", "items": []}))
    result = runner.invoke(app, ["health", "--snapshot", str(tmp_path), "-o", "json"])
    doc = json.loads(result.output)
    assert result.exit_code == 3 and doc["areas"]["nodes"]["status"] == "ok"
    assert doc["areas"]["vault"]["status"] == "unknown"
    assert {"checkId": "LAB-201", "area": "workloads", "object": None} | {
        "reason": "pods: not collected"
    } in doc["unknown"]


def test_junit_has_a_suite_per_area_and_a_failure_per_firing_check() -> None:
    result = runner.invoke(app, [*SNAP, "-o", "junit"])
    root = ET.fromstring(result.output.split("\n", 1)[1])
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == list(AREAS)
    assert suites["backups"].get("failures") == "4"
    names = [
        c.get("name") for c in suites["vault"].iter("testcase") if c.find("failure") is not None
    ]
    assert names == ["LAB-304 vault-raft-no-fault-tolerance"]


def test_prometheus_text_passes_promtool(tmp_path: Path) -> None:
    out = tmp_path / "labctl_health.prom"
    result = runner.invoke(app, [*SNAP, "-o", "prometheus", "--write", str(out), "--exit-zero"])
    assert result.exit_code == 0 and result.output == ""
    text = out.read_text()
    assert 'labctl_health_area_status{area="backups"} 2' in text
    assert 'check_id="LAB-304",check="vault-raft-no-fault-tolerance",severity="warning"} 1' in text
    assert "labctl_health_exit_code 2" in text
    promtool = require("promtool", "prometheus")
    check = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_checks_lists_every_check() -> None:
    result = runner.invoke(app, ["checks", "-o", "json"])
    doc = json.loads(result.output)
    assert [c["id"] for c in doc["checks"]] == [c.id for c in all_checks()]
    table = runner.invoke(app, ["checks"])
    assert table.exit_code == 0 and "LAB-805" in table.output and "pdb-blocks-drain" in table.output


@pytest.fixture
def homelab_fake() -> Iterator[FakeKube]:
    with FakeKube(git_version="v1.28.15") as server:
        serve_homelab(server)
        yield server


def test_live_health_reports_unknown_areas_and_the_rest(
    homelab_fake: FakeKube, tmp_path: Path
) -> None:
    kubeconfig = homelab_fake.kubeconfig(tmp_path / "kc")
    homelab_fake.fail("/api/v1/pods", 403)
    homelab_fake.fail("/apis/velero.io/v1/schedules", 500)
    homelab_fake.fail("/apis/batch/v1/jobs", 500)  # else LAB-508 judges the 8-day-old etcd snapshot
    homelab_fake.route("GET", "/apis/argoproj.io/v1alpha1/applications", Reply(delay=8))
    args = ["health", "--kubeconfig", str(kubeconfig), "--timeout", "4", "-o", "json"]
    result = runner.invoke(app, args)
    doc = json.loads(result.output)
    assert result.exit_code == 3, result.output
    unknown = {a for a, s in doc["areas"].items() if s["status"] == "unknown"}
    assert unknown == {"workloads", "backups", "argocd"}
    assert doc["areas"]["vault"]["status"] == "warning"
    reasons = {u["reason"] for u in doc["unknown"]}
    assert "applications.argoproj.io: timeout after 4s" in reasons
    assert any(r.startswith("pods: 403 Forbidden") for r in reasons)


def test_live_only_reads_what_the_areas_need(homelab_fake: FakeKube, tmp_path: Path) -> None:
    kubeconfig = homelab_fake.kubeconfig(tmp_path / "kc")
    args = ["health", "--kubeconfig", str(kubeconfig), "--only", "vault", "-o", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    paths = {r.path for r in homelab_fake.requests}
    assert "/api/v1/pods" not in paths and "/api/v1/namespaces/vault/pods" in paths
    assert not any(p.startswith("/apis/") for p in paths)


def test_snapshot_save_then_health_offline(homelab_fake: FakeKube, tmp_path: Path) -> None:
    kubeconfig = homelab_fake.kubeconfig(tmp_path / "kc")
    saved = runner.invoke(
        app, ["snapshot", "save", str(tmp_path / "s"), "--kubeconfig", str(kubeconfig)]
    )
    assert saved.exit_code == 0, saved.output
    assert "saved 15 kinds and 11 extras" in saved.output
    pods = json.loads((tmp_path / "s" / "pods.json").read_text())
    assert pods["kind"] == "List" and pods["items"][0]["kind"] == "Pod"
    meta = json.loads((tmp_path / "s" / "snapshot.json").read_text())
    assert meta["formatVersion"] == 1 and meta["notCollected"] == []
    offline = runner.invoke(app, ["health", "--snapshot", str(tmp_path / "s"), "-o", "json"])
    assert json.loads(offline.output)["areas"]["vault"]["status"] == "warning"


def test_snapshot_save_lists_what_it_could_not_read(homelab_fake: FakeKube, tmp_path: Path) -> None:
    kubeconfig = homelab_fake.kubeconfig(tmp_path / "kc")
    homelab_fake.fail("/apis/cert-manager.io/v1/certificates", 403)
    saved = runner.invoke(
        app, ["snapshot", "save", str(tmp_path / "s"), "--kubeconfig", str(kubeconfig)]
    )
    assert saved.exit_code == 3
    assert "not collected certificates.cert-manager.io: 403 Forbidden" in saved.output
    assert not (tmp_path / "s" / "certificates.cert-manager.io.json").exists()


def test_the_cronjob_command_is_a_valid_invocation() -> None:
    (cron,) = [o for o in manifests("ops", "img:1") if o["kind"] == "CronJob"]
    command = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:2] == ["labctl", "health"]
    health = typer.main.get_command(app).commands["health"]  # type: ignore[attr-defined]
    params = health.make_context("health", command[2:]).params
    assert params["output"] == "prometheus" and params["exit_zero"] is True


def test_command_modules_import_nothing_heavy() -> None:
    """`labctl --help` stays fast: the health CLI modules defer every heavy import."""
    code = (
        "import sys, labctl.cli.health, labctl.cli.snapshot; "
        "print(sorted(m for m in ('lightkube', 'httpx2', 'msgspec', 'rich', 'pydantic', "
        "'labctl.checks', 'labctl.cluster.collect') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
