"""Regenerate tests/platform/data/chart_shapes/*.json from upstream values.yaml files.

A shape is a chart's values.yaml with every non-mapping value replaced by null: enough to check
that our values use only keys the chart has, without carrying the charts themselves.

    .venv/bin/python tests/platform/make_chart_shapes.py /path/to/charts

where /path/to/charts holds <chart>/values.yaml (release-* subfolders preferred, as pinned).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

CHARTS = {
    "argo-cd": "argo-cd",
    "vault": "vault",
    "kube-prometheus-stack": "kube-prometheus-stack",
    "loki": "loki",
    "alloy": "alloy",
    "longhorn": "longhorn/release-v1.12.1",
    "velero": "velero",
    "metallb": "metallb/release-v0.16.1",
    "cert-manager": "cert-manager/release-v1.21.1",
    "nginx-gateway-fabric": "nginx-gateway-fabric/release-v2.6.7",
    "metrics-server": "metrics-server/release-metrics-server-helm-chart-3.13.1",
    "kubelet-csr-approver": "kubelet-csr-approver/release-v1.2.14",
    "tigera-operator": "tigera-operator/release-v3.32.1",
    "garage": "garage",
}
OUT = Path(__file__).parent / "data" / "chart_shapes"
# Versions the files do not carry: placeholders stamped at publication (the index's versions),
# and Garage, published only as its Git tag.
PUBLISHED = {"kubelet-csr-approver": "1.2.14", "tigera-operator": "v3.32.1", "garage": "v1.2.0"}


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): shape(v) for k, v in value.items()}
    return None


def main(root: Path) -> None:
    for name, folder in CHARTS.items():
        values = yaml.safe_load((root / folder / "values.yaml").read_text(encoding="utf-8"))
        chart = yaml.safe_load((root / folder / "Chart.yaml").read_text(encoding="utf-8"))
        version = str(chart["version"])
        if version.lstrip("v") == "0.0.0" and "release-" in folder:
            # cert-manager stamps the version at release time: the tag names it.
            version = folder.rsplit("release-", 1)[1]
        version = PUBLISHED.get(name, version)
        data = {"chart": name, "version": version, "values": shape(values)}
        text = json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"
        (OUT / f"{name}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
