"""The alert rules: promtool unit tests for every alert, the runbook's thresholds, the docs
they link to, and the Alertmanager configuration (checked by amtool)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from labctl.platform.components.alert_tests import firing_alerts, promtool_tests
from labctl.platform.components.alerts import (
    AlertParams,
    alertmanager_config,
    alerts,
    params_of,
    prometheus_rules,
)
from labctl.validate.amtool import check_config, with_placeholder_urls
from labctl.validate.model import Result
from tests.support.tools import require

pytestmark = pytest.mark.promtool

BASE = "https://git.example.com/platform-lab/blob/main/docs/alerts.md"
DOCS = Path(__file__).parents[2] / "docs" / "alerts.md"
# The seed runbook's alert table: name -> (threshold in the expression, `for`).
RUNBOOK = {
    "HPAAtMaxReplicas": (">= on", "15m"),
    "HPANearMaxReplicas": ("> 0.8", "10m"),
    "HPAScalingDisabled": ('status="false"} == 1', "5m"),
    "HPAFrequentScaling": ("[10m]) > 5", None),
    "NodeCPUNearCapacity": ("> 0.75", "30m"),
    "NodeMemoryNearCapacity": ("> 0.75", "30m"),
    "PVCNearCapacity": ("> 0.75", "15m"),
    "ClusterCPUOvercommit": ("> 0.8", "10m"),
    "ClusterMemoryOvercommit": ("> 0.8", "10m"),
    "NamespaceQuotaNearLimit": ("> 0.8", "15m"),
}


def _rules() -> list[dict[str, Any]]:
    return prometheus_rules("monitoring", BASE)


def _write(tmp_path: Path, objects: list[dict[str, Any]]) -> Path:
    files = []
    for obj in objects:
        path = tmp_path / f"{obj['metadata']['name']}.yml"
        path.write_text(yaml.safe_dump(obj["spec"], sort_keys=False))
        files.append(path.name)
    params = params_of(objects[0])
    assert params is not None
    test_file = tmp_path / "tests.yml"
    test_file.write_text(yaml.safe_dump(promtool_tests(params, files), sort_keys=False))
    return test_file


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("promtool", "prometheus"), *args], capture_output=True, text=True, check=False
    )


def test_promtool_unit_tests_pass_for_every_alert(tmp_path: Path) -> None:
    test_file = _write(tmp_path, _rules())
    done = _promtool("test", "rules", str(test_file))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_rules_pass_promtool_check(tmp_path: Path) -> None:
    _write(tmp_path, _rules())
    files = sorted(str(p) for p in tmp_path.glob("platform-*.yml"))
    done = _promtool("check", "rules", *files)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS") == len(files)


@pytest.mark.parametrize(
    ("alert", "old", "new"),
    [
        ("PVCNearCapacity", "> 0.75", "> 0.85"),  # a threshold moved up: the firing case fails
        ("HPAAtMaxReplicas", None, "1m"),  # a `for` shortened: the early quiet check fails
    ],
)
def test_unit_tests_catch_a_changed_rule(
    tmp_path: Path, alert: str, old: str | None, new: str
) -> None:
    objects = _rules()
    for obj in objects:
        for rule in obj["spec"]["groups"][0]["rules"]:
            if rule.get("alert") == alert:
                if old is None:
                    rule["for"] = new
                else:
                    rule["expr"] = rule["expr"].replace(old, new)
    done = _promtool("test", "rules", str(_write(tmp_path, objects)))
    assert done.returncode != 0
    assert f"alertname: {alert}" in done.stdout + done.stderr


def test_every_alert_has_a_firing_case_and_a_quiet_check() -> None:
    params = AlertParams(runbook_base_url=BASE)
    tests = promtool_tests(params, [])
    names = {alert.name for alert in alerts(params)}
    assert firing_alerts(tests) == names
    quiet = {
        check["alertname"]
        for case in tests["tests"]
        for check in case["alert_rule_test"]
        if not check["exp_alerts"]
    }
    assert quiet == names - {"Watchdog"}


def test_the_runbooks_ten_alerts_keep_its_thresholds_and_durations() -> None:
    by_name = {a.name: a for a in alerts(AlertParams(runbook_base_url=BASE))}
    for name, (threshold, duration) in RUNBOOK.items():
        assert threshold in by_name[name].expr, name
        assert by_name[name].for_ == duration, name
        assert by_name[name].severity == "warning", name


def test_each_alert_links_to_its_section_of_docs_alerts_md() -> None:
    headings = {
        line[3:].strip().lower() for line in DOCS.read_text().splitlines() if line.startswith("## ")
    }
    for obj in _rules():
        for rule in obj["spec"]["groups"][0]["rules"]:
            url = rule["annotations"]["runbook_url"]
            assert url == f"{BASE}#{rule['alert'].lower()}"
            assert rule["alert"].lower() in headings, f"docs/alerts.md lacks ## {rule['alert']}"
            assert rule["labels"]["severity"] in {"critical", "warning", "none"}
            assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_rules_carry_the_label_the_charts_rule_selector_matches() -> None:
    objects = prometheus_rules("monitoring", BASE, release="kps")
    assert {o["metadata"]["labels"]["release"] for o in objects} == {"kps"}
    assert {o["metadata"]["namespace"] for o in objects} == {"monitoring"}
    assert len({o["metadata"]["name"] for o in objects}) == len(objects)
    assert params_of(objects[0]) == AlertParams(runbook_base_url=BASE)


def test_thresholds_follow_the_params(tmp_path: Path) -> None:
    params = AlertParams(runbook_base_url=BASE, backup_max_age_hours=50, vault_namespace="secrets")
    objects = prometheus_rules("monitoring", BASE, params=params)
    text = yaml.safe_dump(objects)
    assert "> 180000" in text and 'namespace="secrets"' in text
    done = _promtool("test", "rules", str(_write(tmp_path, objects)))
    assert done.returncode == 0, done.stdout


def test_alertmanager_config_passes_amtool() -> None:
    require("amtool", "prometheus-alertmanager")
    result = Result("amtool")
    check_config(result, alertmanager_config("alertmanager-discord", "webhook-url"), "config")
    assert result.findings == []


def test_amtool_rejects_a_broken_alertmanager_config() -> None:
    require("amtool", "prometheus-alertmanager")
    config = alertmanager_config("alertmanager-discord", "webhook-url")
    config["route"]["receiver"] = "nobody"
    result = Result("amtool")
    check_config(result, config, "config")
    assert len(result.findings) == 1
    assert "nobody" in result.findings[0].message


def test_alertmanager_routes_alerts_to_discord_and_the_watchdog_to_its_heartbeat() -> None:
    config = alertmanager_config("alertmanager-discord", "webhook-url")
    route = config["route"]
    assert route["receiver"] == "discord"
    watchdog = route["routes"][0]
    assert watchdog["matchers"] == ['alertname = "Watchdog"']
    assert watchdog["receiver"] == "watchdog" and watchdog["repeat_interval"] == "1m"
    discord = config["receivers"][0]["discord_configs"][0]
    assert discord == {
        "webhook_url_file": "/etc/alertmanager/secrets/alertmanager-discord/webhook-url",
        "send_resolved": True,
    }
    assert "webhook_url" not in discord
    heartbeat = alertmanager_config("d", "k", heartbeat_url_file="/etc/alertmanager/secrets/h/u")
    assert heartbeat["receivers"][1]["webhook_configs"][0]["url_file"] == (
        "/etc/alertmanager/secrets/h/u"
    )


def test_critical_inhibits_warning_of_the_same_alert_and_node_down_inhibits_node_warnings() -> None:
    rules = alertmanager_config("d", "k")["inhibit_rules"]
    severity = next(r for r in rules if r["source_matchers"] == ['severity = "critical"'])
    assert {"alertname", "namespace"} <= set(severity["equal"])
    node = next(r for r in rules if "NodeDown" in r["source_matchers"][0])
    assert node["equal"] == ["node"]
    assert re.search("warning", node["target_matchers"][0])


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["alertname=Watchdog", "severity=none"], "watchdog"),
        (["alertname=InfoInhibitor", "severity=none"], "null"),
        (["alertname=NodeDown", "severity=critical", "node=k8s-worker01"], "discord"),
        (["alertname=PVCNearCapacity", "severity=warning", "namespace=taskapp"], "discord"),
    ],
)
def test_amtool_routes_each_alert_to_its_receiver(
    tmp_path: Path, labels: list[str], receiver: str
) -> None:
    amtool = require("amtool", "prometheus-alertmanager")
    config = with_placeholder_urls(alertmanager_config("alertmanager-discord", "webhook-url"))
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(config))
    done = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={path}", *labels],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == receiver
