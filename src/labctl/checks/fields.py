"""What the checks read: the sources each area needs, and the fields of each kind.

`Snapshot.load(folder, shapes=SHAPES)` decodes only these fields (msgspec skips the rest while
parsing), which keeps a 30,000-pod snapshot small and fast. A check that starts reading a new
field must add it here: the fixture tests run every fixture through these shapes too.
"""

from __future__ import annotations

from typing import Any, TypedDict

Any_ = dict[str, Any]


class Meta(TypedDict, total=False):
    name: str
    namespace: str
    uid: str
    labels: dict[str, str]
    creationTimestamp: str


class Condition(TypedDict, total=False):
    type: str
    status: str
    reason: str
    message: str


class NodeInfo(TypedDict, total=False):
    kubeletVersion: str


class NodeSpec(TypedDict, total=False):
    unschedulable: bool


class NodeStatus(TypedDict, total=False):
    conditions: list[Condition]
    nodeInfo: NodeInfo


class Node(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: Meta
    spec: NodeSpec
    status: NodeStatus


class ContainerStatus(TypedDict, total=False):
    name: str
    image: str
    ready: bool
    restartCount: int
    state: Any_
    lastState: Any_


class PodStatus(TypedDict, total=False):
    phase: str
    reason: str
    message: str
    conditions: list[Condition]
    containerStatuses: list[ContainerStatus]
    initContainerStatuses: list[ContainerStatus]


class ClaimRef(TypedDict, total=False):
    claimName: str


class PodVolume(TypedDict, total=False):
    persistentVolumeClaim: ClaimRef


class PodSpec(TypedDict, total=False):
    nodeName: str
    volumes: list[PodVolume]


class Pod(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: Meta
    spec: PodSpec
    status: PodStatus


class PhaseStatus(TypedDict, total=False):
    phase: str


class Claim(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: Meta
    status: PhaseStatus


class Workload(TypedDict, total=False):
    """Deployments, StatefulSets, DaemonSets, HPAs, PDBs: small specs, whole status."""

    apiVersion: str
    kind: str
    metadata: Meta
    spec: Any_
    status: Any_


class OperationState(TypedDict, total=False):
    phase: str
    message: str


class ApplicationStatus(TypedDict, total=False):
    sync: Any_
    health: Any_
    operationState: OperationState


class Application(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: Meta
    status: ApplicationStatus


class Custom(TypedDict, total=False):
    """Velero and cert-manager objects: kept whole except metadata noise."""

    apiVersion: str
    kind: str
    metadata: Meta
    spec: Any_
    status: Any_


SHAPES: dict[str, type] = {
    "nodes": Node,
    "pods": Pod,
    "persistentvolumeclaims": Claim,
    "deployments.apps": Workload,
    "statefulsets.apps": Workload,
    "daemonsets.apps": Workload,
    "horizontalpodautoscalers.autoscaling": Workload,
    "poddisruptionbudgets.policy": Workload,
    "applications.argoproj.io": Application,
    "backups.velero.io": Custom,
    "schedules.velero.io": Custom,
    "backupstoragelocations.velero.io": Custom,
    "certificates.cert-manager.io": Custom,
    "volumes.longhorn.io": Custom,
    "jobs.batch": Custom,
}


# Per area, the snapshot sources its checks read: resources, and the extras `vault`,
# `alertmanager` and `kubelet`. `labctl health --only AREA` collects only these live.
AREA_SOURCES: dict[str, frozenset[str]] = {
    "nodes": frozenset({"nodes"}),
    "workloads": frozenset({"pods", "deployments.apps", "statefulsets.apps", "daemonsets.apps"}),
    "vault": frozenset({"vault"}),
    "argocd": frozenset({"applications.argoproj.io"}),
    "backups": frozenset(
        {
            "backups.velero.io",
            "schedules.velero.io",
            "backupstoragelocations.velero.io",
            "jobs.batch",
        }
    ),
    "certificates": frozenset({"certificates.cert-manager.io"}),
    "storage": frozenset({"persistentvolumeclaims", "volumes.longhorn.io", "kubelet", "pods"}),
    "scaling": frozenset(
        {"horizontalpodautoscalers.autoscaling", "poddisruptionbudgets.policy", "pods"}
    ),
    "alerts": frozenset({"alertmanager"}),
}


def sources_for(areas: list[str] | None) -> frozenset[str] | None:
    """What to collect for these areas (None: everything)."""
    if not areas:
        return None
    return frozenset().union(*(AREA_SOURCES.get(a, frozenset()) for a in areas))
