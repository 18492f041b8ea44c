"""A folder as plain kubectl writes it (no snapshot.json, raw list items without kind, nulls
for unset fields) from a cluster with one of each fault issue 13 lists: each is reported once,
with its check's severity, and the healthy objects beside them raise nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from labctl.checks import run_checks
from labctl.checks.fields import SHAPES
from labctl.cluster.snapshot import Snapshot

Obj = dict[str, Any]
TAKEN = "2026-11-26T12:00:00Z"


def _meta(name: str, ns: str | None = "taskapp", **extra: Any) -> Obj:
    meta: Obj = {"name": name, "creationTimestamp": "2026-10-01T00:00:00Z", **extra}
    if ns:
        meta["namespace"] = ns
    return meta


def _ready(status: str = "True", since: str = "2026-11-26T08:00:00Z") -> list[Obj]:
    return [
        {"type": "PodScheduled", "status": "True"},
        {"type": "Ready", "status": status, "lastTransitionTime": since},
    ]


def _pod(name: str, app: str, ready: bool = True, **meta: Any) -> Obj:
    container = {"name": "app", "ready": ready, "restartCount": 0, "lastState": {}}
    container["state"] = {"running": {"startedAt": "2026-11-26T08:00:00Z"}}
    return {
        "metadata": _meta(name, labels={"app": app}, **meta),
        "spec": {"nodeName": "k8s-worker01", "volumes": None},
        "status": {
            "phase": "Running",
            "conditions": _ready("True" if ready else "False"),
            "containerStatuses": [container],
            "initContainerStatuses": None,
        },
    }


def _workload(kind: str, name: str, replicas: int, available: int | None, **meta: Any) -> Obj:
    status: Obj = {"replicas": replicas, "readyReplicas": replicas}
    if available is not None:
        status["availableReplicas"] = available
    template = {"metadata": {"creationTimestamp": None, "labels": {"app": name}}, "spec": {}}
    return {
        "metadata": _meta(name, **meta),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": template,
        },
        "status": status,
    }


def _service(name: str) -> Obj:
    return {"metadata": _meta(name), "spec": {"type": "ClusterIP", "selector": {"app": name}}}


def _slice(service: str, *ready: bool) -> Obj:
    return {
        "metadata": _meta(f"{service}-x1", labels={"kubernetes.io/service-name": service}),
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.244.1.1"], "conditions": {"ready": r}} for r in ready],
    }


def _write(folder: Path, resource: str, *items: Obj) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": ""},
        "items": list(items),
    }
    (folder / f"{resource}.json").write_text(json.dumps(body))


def test_each_fault_once_and_nothing_on_the_healthy(tmp_path: Path) -> None:
    node = {
        "metadata": _meta("k8s-worker01", None, labels=None),
        "spec": None,  # the null that used to blind the nodes area
        "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": None},
    }
    _write(tmp_path, "nodes", node)
    _write(
        tmp_path,
        "pods",
        _pod("web-1", "web"),
        _pod("web-2", "web", ready=False),  # Running, not Ready for 4 hours
        _pod("api-1", "api", ready=False),  # the only pod of api: its Service is down too
        _pod("old-1", "old", deletionTimestamp="2026-11-26T09:00:00Z"),  # stuck Terminating
    )
    _write(
        tmp_path,
        "deployments.apps",
        _workload("Deployment", "web", 2, 2),
        _workload("Deployment", "api", 1, 1),
    )
    # readyReplicas but no availableReplicas, no kind: read as a StatefulSet, healthy
    _write(tmp_path, "statefulsets.apps", _workload("StatefulSet", "vault", 3, None))
    _write(tmp_path, "daemonsets.apps")
    _write(tmp_path, "services", _service("web"), _service("api"))
    _write(
        tmp_path,
        "endpointslices.discovery.k8s.io",
        _slice("web", True, False),
        _slice("api", False),
    )
    job = {
        "metadata": _meta("migrate"),
        "status": {
            "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]
        },
    }
    _write(tmp_path, "jobs.batch", job)
    cron = {
        "metadata": _meta("report"),
        "spec": {"schedule": "0 3 * * *", "suspend": True},
        "status": {"lastScheduleTime": None},
    }
    _write(tmp_path, "cronjobs.batch", cron)
    _write(
        tmp_path, "namespaces", {"metadata": _meta("taskapp", None), "status": {"phase": "Active"}}
    )
    for resource in (
        "ingresses.networking.k8s.io",
        "ingressclasses.networking.k8s.io",
        "gatewayclasses.gateway.networking.k8s.io",
        "gateways.gateway.networking.k8s.io",
        "httproutes.gateway.networking.k8s.io",
        "validatingwebhookconfigurations.admissionregistration.k8s.io",
        "mutatingwebhookconfigurations.admissionregistration.k8s.io",
    ):
        _write(tmp_path, resource)
    for file in tmp_path.iterdir():  # without snapshot.json, the newest file's time is the time
        os.utime(file, (1795694400, 1795694400))
    snap = Snapshot.load(tmp_path, shapes=SHAPES)
    assert snap.taken_at.strftime("%Y-%m-%dT%H:%M:%SZ") == TAKEN
    report = run_checks(snap, areas=["nodes", "workloads"])
    assert not report.unknowns, report.unknowns
    found = sorted((f.check_id, f.severity.value, f.object) for f in report.findings)
    assert found == [
        ("LAB-210", "warning", "Pod/taskapp/api-1"),
        ("LAB-210", "warning", "Pod/taskapp/web-2"),
        ("LAB-212", "warning", "Pod/taskapp/old-1"),
        ("LAB-215", "warning", "Job/taskapp/migrate"),
        ("LAB-217", "warning", "CronJob/taskapp/report"),
        ("LAB-219", "critical", "Service/taskapp/api"),
    ]
