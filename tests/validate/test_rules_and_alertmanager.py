"""The promtool and amtool validators over rendered trees (real promtool and amtool)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labctl.platform.components.alerts import alertmanager_config, prometheus_rules
from labctl.validate import amtool, promtool, tools
from tests.support.tools import require
from tests.validate.conftest import write_tree

pytestmark = pytest.mark.promtool

BASE = "https://git.example.com/platform-lab/blob/main/docs/alerts.md"


def _kube_prometheus_stack(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "kube-prometheus-stack", "namespace": "argocd"},
        "spec": {
            "project": "monitoring",
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "monitoring"},
            "sources": [
                {
                    "repoURL": "https://prometheus-community.github.io/helm-charts",
                    "chart": "kube-prometheus-stack",
                    "targetRevision": "88.5.3",
                    "helm": {"releaseName": "kube-prometheus-stack", "valuesObject": values},
                }
            ],
        },
    }


def _alertmanager_values(secrets: list[str]) -> dict[str, Any]:
    return {
        "alertmanager": {
            "config": alertmanager_config("alertmanager-discord", "webhook-url"),
            "alertmanagerSpec": {"secrets": secrets},
        }
    }


def test_rendered_rules_pass_check_and_unit_tests(tmp_path: Path) -> None:
    require("promtool", "prometheus")
    result = promtool.validate(write_tree(tmp_path, prometheus_rules("monitoring", BASE)))
    assert result.findings == []
    assert result.checked == 7
    assert result.notes == ["promtool test rules: 21 test cases passed"]


def test_a_runbook_base_url_that_is_not_the_alerts_page_is_noted(tmp_path: Path) -> None:
    require("promtool", "prometheus")
    rules = prometheus_rules("monitoring", "https://git.example.com/repo/tree/main/docs/runbooks")
    result = promtool.validate(write_tree(tmp_path, rules))
    assert result.findings == []
    assert any("is not a Markdown page" in note for note in result.notes)


def test_a_broken_rule_and_a_changed_threshold_are_findings(tmp_path: Path) -> None:
    require("promtool", "prometheus")
    rules = prometheus_rules("monitoring", BASE)
    capacity = next(r for r in rules if r["metadata"]["name"] == "platform-capacity")
    pvc = next(r for r in capacity["spec"]["groups"][0]["rules"] if r["alert"] == "PVCNearCapacity")
    pvc["expr"] = pvc["expr"].replace("> 0.75", "> 0.95")
    foreign = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "hand-written", "namespace": "monitoring"},
        "spec": {"groups": [{"name": "x", "rules": [{"alert": "Bad", "expr": "rate(up[5m]"}]}]},
    }
    result = promtool.validate(write_tree(tmp_path, [*rules, foreign]))
    by_check = {f.check: f for f in result.findings}
    assert set(by_check) == {"check-rules", "test"}
    assert by_check["check-rules"].where == "tree.yaml#7 PrometheusRule monitoring/hand-written"
    assert "alertname: PVCNearCapacity" in by_check["test"].message


def test_an_alert_without_a_unit_test_is_a_finding(tmp_path: Path) -> None:
    require("promtool", "prometheus")
    rules = prometheus_rules("monitoring", BASE)
    rules[0]["spec"]["groups"][0]["rules"].append(
        {"alert": "Untested", "expr": "vector(0) > 1", "labels": {"severity": "warning"}}
    )
    result = promtool.validate(write_tree(tmp_path, rules))
    assert [(f.check, f.message) for f in result.findings] == [
        ("untested", "alert Untested has no promtool test in which it fires")
    ]


def test_alertmanager_config_in_the_chart_values_passes_amtool(tmp_path: Path) -> None:
    require("amtool", "prometheus-alertmanager")
    tree = write_tree(
        tmp_path, [_kube_prometheus_stack(_alertmanager_values(["alertmanager-discord"]))]
    )
    result = amtool.validate(tree)
    assert result.findings == []
    assert result.checked == 1
    # Debian's amtool 0.25 predates webhook_url_file and url_file; the note says how it was checked.
    version = tools.version("amtool")
    if version is not None and version < amtool.URL_FILE_SINCE:
        assert any("checked with a placeholder URL" in note for note in result.notes)


def test_an_unmounted_webhook_file_and_a_missing_config_are_findings(tmp_path: Path) -> None:
    require("amtool", "prometheus-alertmanager")
    unmounted = _kube_prometheus_stack(_alertmanager_values([]))
    unconfigured = _kube_prometheus_stack({"grafana": {"enabled": True}})
    unconfigured["metadata"]["name"] = "second"
    result = amtool.validate(write_tree(tmp_path, [unmounted, unconfigured]))
    assert [f.check for f in result.findings] == ["webhook-file-not-mounted", "no-config"]


def test_a_webhook_url_in_the_tree_is_a_secret_in_the_tree(tmp_path: Path) -> None:
    require("amtool", "prometheus-alertmanager")
    values = _alertmanager_values(["alertmanager-discord"])
    discord = values["alertmanager"]["config"]["receivers"][0]["discord_configs"][0]
    discord.pop("webhook_url_file")
    discord["webhook_url"] = "https://discord.com/api/webhooks/1/secret"
    result = amtool.validate(write_tree(tmp_path, [_kube_prometheus_stack(values)]))
    assert [f.check for f in result.findings] == ["secret-in-tree"]


def test_a_webhook_url_file_is_checked_like_discords(tmp_path: Path) -> None:
    require("amtool", "prometheus-alertmanager")
    values = _alertmanager_values(["alertmanager-discord", "alertmanager-heartbeat"])
    heartbeat = {"url_file": "/etc/alertmanager/secrets/alertmanager-heartbeat/url"}
    values["alertmanager"]["config"]["receivers"].append(
        {"name": "heartbeat", "webhook_configs": [heartbeat]}
    )
    tree = write_tree(tmp_path, [_kube_prometheus_stack(values)])
    assert amtool.validate(tree).findings == []
    values["alertmanager"]["alertmanagerSpec"]["secrets"] = ["alertmanager-discord"]
    tree = write_tree(tmp_path, [_kube_prometheus_stack(values)])
    [finding] = amtool.validate(tree).findings
    assert finding.check == "webhook-file-not-mounted"
    assert "receiver heartbeat: url_file /etc/alertmanager/secrets/alertmanager-heartbeat/url" in (
        finding.message
    )
