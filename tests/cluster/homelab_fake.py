"""Serve the committed homelab example snapshot from FakeKube, proxies included."""

from __future__ import annotations

import json
import re
from pathlib import Path

from labctl.cluster.client import node_proxy_path, pod_proxy_path, service_proxy_path
from labctl.cluster.kinds import SNAPSHOT_KINDS
from tests.support.fake_kube import FakeKube, Reply

HOMELAB = Path(__file__).parents[2] / "examples" / "snapshots" / "homelab"


def serve_homelab(fake: FakeKube, folder: Path = HOMELAB) -> None:
    for kind in SNAPSHOT_KINDS:
        # json, not fake.load's YAML parser: the same objects, 40 times faster
        fake.add(*json.loads((folder / f"{kind.resource}.json").read_text())["items"])
    meta = json.loads((folder / "snapshot.json").read_text())
    statuses = meta.get("extraStatus", {})
    extras = folder / "extras"
    for file in sorted(extras.rglob("*.json")):
        rel = file.relative_to(extras).as_posix()
        body = json.loads(file.read_text())
        area, _, rest = rel.partition("/")
        if area == "vault":
            pod, endpoint = rest.split("/")
            path = pod_proxy_path(
                "vault", pod, 8200, f"v1/sys/{endpoint.removesuffix('.json')[4:]}"
            )
        elif area == "alertmanager":
            path = service_proxy_path("monitoring", "alertmanager-operated", 9093, "api/v2/alerts")
        else:
            path = node_proxy_path(rest.split("/")[0], "stats/summary")
        fake.route("GET", re.escape(path), Reply(status=statuses.get(rel, 200), body=body))
