"""Every Helm value we set exists in the pinned chart's values.yaml (data/chart_shapes/).

Below a key whose upstream default is not a mapping (a string, a list, `{}`, null) the chart
takes anything, so the walk stops there; FREE_FORM lists the mappings documented as open
(extra entries are passed through to a config file or a ConfigMap).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labctl.config.cluster import ClusterConfig
from labctl.platform.component import Component
from labctl.platform.render import components

SHAPES = Path(__file__).parent / "data" / "chart_shapes"
FREE_FORM = {
    "argo-cd": {"configs.cm", "configs.params"},  # argocd-cm / argocd-cmd-params-cm entries
    "loki": {"loki.limits_config", "loki.schemaConfig"},  # Loki config blocks (schema: open)
    # storageClass is a commented option of values.yaml (the template checks `hasKey`).
    "garage": {"persistence.meta", "persistence.data"},
    "tigera-operator": {"installation"},  # the Installation's spec, rendered verbatim
    # Subcharts' own values (charts/grafana, charts/kube-state-metrics, ...), not the parent's.
    "kube-prometheus-stack": {
        "grafana.resources",
        "grafana.sidecar.resources",
        "kube-state-metrics.resources",
        "prometheus-node-exporter.resources",
    },
}
# Kubernetes objects the charts pass through verbatim (toYaml): their fields are the API's, not
# the chart's (`labctl validate --charts` checks them against the Kubernetes schemas).
KUBERNETES_OBJECTS = {"resources", "securityContext", "podSecurityContext"}


def unknown_keys(ours: Any, upstream: Any, free: set[str], path: str = "") -> list[str]:
    if not isinstance(ours, dict) or not isinstance(upstream, dict) or not upstream:
        return []
    if path in free or path.rpartition(".")[2] in KUBERNETES_OBJECTS:
        return []
    missing = []
    for key, value in ours.items():
        where = f"{path}.{key}" if path else key
        if key not in upstream:
            if where not in free:
                missing.append(where)
        else:
            missing += unknown_keys(value, upstream[key], free, where)
    return missing


def charted(config: ClusterConfig) -> list[Component]:
    return [c for c in components(config) if c.chart is not None]


def test_every_chart_has_a_shape(example_config: ClusterConfig) -> None:
    # A chart installed with its defaults (Calico's CRDs) needs none.
    names = {c.chart.name for c in charted(example_config) if c.values}
    assert names == {p.stem for p in SHAPES.glob("*.json")}


@pytest.mark.parametrize("chart", sorted(p.stem for p in SHAPES.glob("*.json")))
def test_values_use_only_keys_of_the_chart(example_config: ClusterConfig, chart: str) -> None:
    shape = json.loads((SHAPES / f"{chart}.json").read_text())
    found = [c for c in charted(example_config) if c.chart.name == chart]
    assert found, f"no component uses {chart}"
    for component in found:
        missing = unknown_keys(component.values, shape["values"], FREE_FORM.get(chart, set()))
        assert missing == [], f"{component.name}: keys not in {chart} values.yaml: {missing}"


@pytest.mark.parametrize("chart", sorted(p.stem for p in SHAPES.glob("*.json")))
def test_pinned_version_is_the_one_the_shape_came_from(
    example_config: ClusterConfig, chart: str
) -> None:
    shape = json.loads((SHAPES / f"{chart}.json").read_text())
    (component,) = [c for c in charted(example_config) if c.chart.name == chart][:1]
    assert component.chart.version.lstrip("v") == str(shape["version"]).lstrip("v")


def test_below_a_kubernetes_object_the_api_decides() -> None:
    upstream = {"resources": {"requests": {"cpu": "10m"}}, "securityContext": {"runAsUser": 1}}
    ours = {"resources": {"limits": {"cpu": "1"}}, "securityContext": {"seccompProfile": {}}}
    assert unknown_keys(ours, upstream, set()) == []
    assert unknown_keys({"resource": {}}, upstream, set()) == ["resource"]


def test_unknown_key_is_reported_with_its_path() -> None:
    upstream = {"server": {"ha": {"replicas": None}}}
    assert unknown_keys({"server": {"ha": {"replica": 3}}}, upstream, set()) == [
        "server.ha.replica"
    ]
