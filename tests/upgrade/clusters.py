"""A cluster at 1.28 as objects the API server would send, for the upgrade tests."""

from __future__ import annotations

from typing import Any

from tests.actions.objects import node, pdb, pod

Obj = dict[str, Any]
CP = "cp01"
WORKERS = ("worker01", "worker02")
NOW = "2026-11-26T06:00:00Z"


def k8s_node(name: str, kubelet: str = "v1.28.15", *, control_plane: bool = False) -> Obj:
    obj = node(name)
    if control_plane:
        obj["metadata"]["labels"]["node-role.kubernetes.io/control-plane"] = ""
    obj["status"]["nodeInfo"] = {
        "kubeletVersion": kubelet,
        "kubeProxyVersion": kubelet,
        "osImage": "Ubuntu 22.04.5 LTS",
    }
    return obj


def static_pod(component: str, image: str, node_name: str = CP) -> Obj:
    obj = pod(f"{component}-{node_name}", "kube-system", node_name=node_name, owner=None)
    obj["metadata"]["labels"] = {"component": component, "tier": "control-plane"}
    obj["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "x"}
    obj["spec"]["containers"][0]["image"] = image
    return obj


def etcd_job(completed: str = "2026-11-26T01:15:41Z") -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "etcd-snapshot-manual",
            "namespace": "velero",
            "labels": {"app.kubernetes.io/name": "etcd-snapshot"},
        },
        "spec": {"template": {"spec": {"containers": []}}},
        "status": {
            "completionTime": completed,
            "succeeded": 1,
            "conditions": [{"type": "Complete", "status": "True"}],
        },
    }


def velero() -> list[Obj]:
    location = {
        "apiVersion": "velero.io/v1",
        "kind": "BackupStorageLocation",
        "metadata": {"name": "default", "namespace": "velero"},
        "spec": {"provider": "aws", "objectStorage": {"bucket": "velero"}},
        "status": {"phase": "Available"},
    }
    backup = {
        "apiVersion": "velero.io/v1",
        "kind": "Backup",
        "metadata": {"name": "daily-20261126020000", "namespace": "velero"},
        "spec": {"storageLocation": "default"},
        "status": {"phase": "Completed", "completionTimestamp": "2026-11-26T02:30:00Z"},
    }
    return [location, backup]


def flow_schema(name: str, version: str, manager: str) -> Obj:
    return {
        "apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3",
        "kind": "FlowSchema",
        "metadata": {
            "name": name,
            "managedFields": [
                {"manager": manager, "operation": "Update", "apiVersion": version},
            ],
        },
        "spec": {"priorityLevelConfiguration": {"name": "workload-low"}},
    }


def base(kubelets: dict[str, str] | None = None) -> list[Obj]:
    """Nodes (one control plane, two workers), static pods, an etcd snapshot, a backup."""
    versions = {CP: "v1.28.15", **dict.fromkeys(WORKERS, "v1.28.15"), **(kubelets or {})}
    objects: list[Obj] = [
        k8s_node(name, kubelet, control_plane=name == CP) for name, kubelet in versions.items()
    ]
    objects += [
        static_pod("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.28.15"),
        static_pod("kube-controller-manager", "registry.k8s.io/kube-controller-manager:v1.28.15"),
        static_pod("kube-scheduler", "registry.k8s.io/kube-scheduler:v1.28.15"),
        static_pod("etcd", "registry.k8s.io/etcd:3.5.15-0"),
        etcd_job(),
        *velero(),
        pod("web-1", "apps", node_name=WORKERS[0], labels={"app": "web"}),
    ]
    return objects


def blocking_pdb(node_name: str = WORKERS[1]) -> list[Obj]:
    return [
        pod(
            "postgres-0",
            "taskapp",
            node_name=node_name,
            owner=("StatefulSet", "postgres"),
            labels={"app": "postgres"},
        ),
        pdb(
            "postgres", "taskapp", {"app": "postgres"}, allowed=0, healthy=1, desired=1, expected=1
        ),
    ]
