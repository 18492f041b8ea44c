"""Small builders of Kubernetes objects (plain dicts) for the action, troubleshoot and CLI tests."""

from __future__ import annotations

from typing import Any

from tests.support.fake_kube import Obj

READY = [{"type": "Ready", "status": "True"}]


def node(name: str, *, ready: str = "True", unschedulable: bool = False) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {"unschedulable": True} if unschedulable else {},
        "status": {"conditions": [{"type": "Ready", "status": ready, "reason": "KubeletReady"}]},
    }


def pod(
    name: str,
    namespace: str = "default",
    *,
    node_name: str = "n1",
    owner: tuple[str, str] | None = ("ReplicaSet", "web-1"),
    labels: dict[str, str] | None = None,
    phase: str = "Running",
    ready: bool = True,
    annotations: dict[str, str] | None = None,
    volumes: list[Obj] | None = None,
    **status: Any,
) -> Obj:
    metadata: Obj = {"name": name, "namespace": namespace, "labels": labels or {}}
    if owner:
        metadata["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": owner[0],
                "name": owner[1],
                "uid": "u-" + owner[1],
                "controller": True,
            }
        ]
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "nodeName": node_name,
            "containers": [{"name": "main", "image": "example/app:1"}],
            "volumes": volumes or [],
        },
        "status": {"phase": phase, "conditions": READY if ready else [], **status},
    }


def pdb(
    name: str,
    namespace: str,
    match: dict[str, str],
    *,
    allowed: int,
    healthy: int,
    desired: int,
    expected: int,
    min_available: int | None = 1,
) -> Obj:
    spec: Obj = {"selector": {"matchLabels": match}}
    if min_available is None:
        spec["maxUnavailable"] = 0
    else:
        spec["minAvailable"] = min_available
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
        "status": {
            "disruptionsAllowed": allowed,
            "currentHealthy": healthy,
            "desiredHealthy": desired,
            "expectedPods": expected,
        },
    }


def deployment(
    name: str,
    namespace: str = "default",
    *,
    replicas: int = 2,
    labels: dict[str, str] | None = None,
    volumes: list[Obj] | None = None,
    paused: bool = False,
    kind: str = "Deployment",
    annotations: dict[str, str] | None = None,
) -> Obj:
    labels = labels or {"app": name}
    spec: Obj = {
        "replicas": replicas,
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "containers": [{"name": "main", "image": "example/app:1"}],
                "volumes": volumes or [],
            },
        },
    }
    if paused:
        spec["paused"] = True
    group = "apps/v1"
    return {
        "apiVersion": group,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations or {}},
        "spec": spec,
        "status": {"replicas": replicas, "readyReplicas": replicas},
    }


def job(name: str, namespace: str, *, state: str | None, finished: str) -> Obj:
    conditions = (
        [] if state is None else [{"type": state, "status": "True", "lastTransitionTime": finished}]
    )
    status: Obj = {"conditions": conditions}
    if state == "Complete":
        status["completionTime"] = finished
        status["succeeded"] = 1
    if state is None:
        status["active"] = 1
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x:1"}]}}},
        "status": status,
    }


def hpa(name: str, namespace: str, target: str, *, low: int = 2, high: int = 10) -> Obj:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": low,
            "maxReplicas": high,
        },
    }
