"""The inhibit rules in a real Alertmanager (Debian's, on 127.0.0.1): which alerts end up
suppressed when their causes fire together."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from labctl.platform.components.alerts import alertmanager_config
from labctl.validate.amtool import with_placeholder_urls
from tests.support.tools import require

pytestmark = pytest.mark.promtool


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    binary = require("prometheus-alertmanager", "prometheus-alertmanager")
    config = with_placeholder_urls(alertmanager_config("alertmanager-discord", "webhook-url"))
    config["route"]["group_wait"] = "0s"  # mark inhibitions now, not after 30 s
    (tmp_path / "alertmanager.yaml").write_text(yaml.safe_dump(config))
    url = f"http://127.0.0.1:{_free_port()}"
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'alertmanager.yaml'}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address={url.removeprefix('http://')}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: httpx.get(f"{url}/-/ready", timeout=1).status_code == 200)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait(ready: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


def _alert(name: str, severity: str, **labels: str) -> dict[str, str]:
    return {"alertname": name, "severity": severity, **labels}


VELERO = {"namespace": "velero"}
TASKAPP = {"namespace": "taskapp"}
ALERTS = [
    _alert("VeleroBackupTooOld", "critical", schedule="daily-local", **VELERO),
    _alert("VeleroBackupTooOld", "warning", schedule="daily-local", **VELERO),
    _alert("VeleroBackupTooOld", "warning", schedule="daily-offsite", **VELERO),
    _alert("NodeDown", "critical", node="k8s-worker01"),
    _alert("NodeCPUNearCapacity", "warning", node="k8s-worker01"),
    _alert("NodeCPUNearCapacity", "warning", node="k8s-worker02"),
    _alert("HPAAtMaxReplicas", "warning", horizontalpodautoscaler="backend", **TASKAPP),
    _alert("HPANearMaxReplicas", "warning", horizontalpodautoscaler="backend", **TASKAPP),
    _alert("HPANearMaxReplicas", "warning", horizontalpodautoscaler="frontend", **TASKAPP),
]


def _key(labels: dict[str, str]) -> str:
    name = labels.get("schedule") or labels.get("node") or labels.get("horizontalpodautoscaler")
    return f"{labels['alertname']}/{labels['severity']}/{name}"


def test_inhibit_rules_suppress_exactly_the_alerts_their_causes_explain(alertmanager: str) -> None:
    posted = httpx.post(
        f"{alertmanager}/api/v2/alerts", json=[{"labels": labels} for labels in ALERTS], timeout=5
    )
    assert posted.status_code == 200

    def processed() -> bool:
        alerts = httpx.get(f"{alertmanager}/api/v2/alerts", timeout=5).json()
        return len(alerts) == len(ALERTS) and all(
            a["status"]["state"] != "unprocessed" for a in alerts
        )

    _wait(processed)
    alerts = httpx.get(f"{alertmanager}/api/v2/alerts", timeout=5).json()
    suppressed = {_key(a["labels"]) for a in alerts if a["status"]["inhibitedBy"]}
    assert suppressed == {
        "VeleroBackupTooOld/warning/daily-local",  # the critical one for the same schedule
        "NodeCPUNearCapacity/warning/k8s-worker01",  # its node is down
        "HPANearMaxReplicas/warning/backend",  # already at max
    }
