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
    deletionTimestamp: str


class OwnerRef(TypedDict, total=False):
    kind: str
    name: str
    controller: bool


class FullMeta(Meta, total=False):
    """Metadata with annotations (an autoscaling/v1 HPA keeps its conditions in one) and
    owners (a Job's CronJob)."""

    annotations: dict[str, str]
    generation: int
    ownerReferences: list[OwnerRef]


class Condition(TypedDict, total=False):
    type: str
    status: str
    reason: str
    message: str
    lastTransitionTime: str


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


class Waiting(TypedDict, total=False):
    reason: str
    message: str


class Running(TypedDict, total=False):
    startedAt: str


class Terminated(TypedDict, total=False):
    exitCode: int
    reason: str
    message: str
    startedAt: str
    finishedAt: str


class ContainerState(TypedDict, total=False):
    waiting: Waiting
    running: Running
    terminated: Terminated


class ContainerStatus(TypedDict, total=False):
    name: str
    image: str
    ready: bool
    started: bool
    restartCount: int
    state: ContainerState
    lastState: ContainerState


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
    """Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, HPAs, PDBs: whole spec and status."""

    apiVersion: str
    kind: str
    metadata: FullMeta
    spec: Any_
    status: Any_


class NamespaceStatus(TypedDict, total=False):
    phase: str
    conditions: list[Condition]


class Namespace(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: Meta
    status: NamespaceStatus


class ServicePort(TypedDict, total=False):
    name: str
    port: int


class ServiceSpec(TypedDict, total=False):
    type: str
    selector: dict[str, str]
    clusterIP: str
    ports: list[ServicePort]


class Service(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: Meta
    spec: ServiceSpec


class EndpointConditions(TypedDict, total=False):
    ready: bool
    serving: bool
    terminating: bool


class Endpoint(TypedDict, total=False):
    conditions: EndpointConditions


class EndpointSlice(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: Meta
    endpoints: list[Endpoint]


class InvolvedObject(TypedDict, total=False):
    kind: str
    namespace: str
    name: str


class Event(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: Meta
    involvedObject: InvolvedObject
    reason: str
    message: str
    type: str
    count: int
    lastTimestamp: str
    eventTime: str


class WebhookService(TypedDict, total=False):
    namespace: str
    name: str
    port: int


class WebhookClient(TypedDict, total=False):
    service: WebhookService
    url: str


class Webhook(TypedDict, total=False):
    name: str
    clientConfig: WebhookClient
    failurePolicy: str


class WebhookConfiguration(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: Meta
    webhooks: list[Webhook]


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
    """Velero, cert-manager, Gateway API objects, Ingresses, PVs: kept whole but for metadata."""

    apiVersion: str
    kind: str
    metadata: FullMeta
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
    "namespaces": Namespace,
    "services": Service,
    "endpointslices.discovery.k8s.io": EndpointSlice,
    "persistentvolumes": Custom,
    "events": Event,
    "jobs.batch": Workload,
    "cronjobs.batch": Workload,
    "ingresses.networking.k8s.io": Custom,
    "ingressclasses.networking.k8s.io": Custom,
    "gatewayclasses.gateway.networking.k8s.io": Custom,
    "gateways.gateway.networking.k8s.io": Custom,
    "httproutes.gateway.networking.k8s.io": Custom,
    "validatingwebhookconfigurations.admissionregistration.k8s.io": WebhookConfiguration,
    "mutatingwebhookconfigurations.admissionregistration.k8s.io": WebhookConfiguration,
    "issuers.cert-manager.io": Custom,
    "clusterissuers.cert-manager.io": Custom,
    "certificaterequests.cert-manager.io": Custom,
}


# Per area, the snapshot sources its checks read: resources, and the extras `vault`,
# `alertmanager` and `kubelet`. `labctl health --only AREA` collects only these live.
_SERVICES = frozenset({"services", "endpointslices.discovery.k8s.io"})
AREA_SOURCES: dict[str, frozenset[str]] = {
    "nodes": frozenset({"nodes"}),
    "workloads": frozenset(
        {
            "pods",
            "deployments.apps",
            "statefulsets.apps",
            "daemonsets.apps",
            "jobs.batch",
            "cronjobs.batch",
            "namespaces",
            "ingresses.networking.k8s.io",
            "ingressclasses.networking.k8s.io",
            "gatewayclasses.gateway.networking.k8s.io",
            "gateways.gateway.networking.k8s.io",
            "httproutes.gateway.networking.k8s.io",
            "validatingwebhookconfigurations.admissionregistration.k8s.io",
            "mutatingwebhookconfigurations.admissionregistration.k8s.io",
        }
    )
    | _SERVICES,
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
    "certificates": frozenset(
        {
            "certificates.cert-manager.io",
            "issuers.cert-manager.io",
            "clusterissuers.cert-manager.io",
            "certificaterequests.cert-manager.io",
            "apiserver",
        }
    ),
    "storage": frozenset(
        {
            "persistentvolumeclaims",
            "persistentvolumes",
            "events",
            "volumes.longhorn.io",
            "kubelet",
            "pods",
        }
    ),
    "scaling": frozenset(
        {
            "horizontalpodautoscalers.autoscaling",
            "poddisruptionbudgets.policy",
            "pods",
            "deployments.apps",
            "statefulsets.apps",
        }
    ),
    "alerts": frozenset({"alertmanager"}),
}
# The area that reports an unreadable object of a resource: the first that reads it.
OWNER: dict[str, str] = {}
for _area, _sources in AREA_SOURCES.items():
    for _source in sorted(_sources):
        OWNER.setdefault(_source, _area)


def sources_for(areas: list[str] | None) -> frozenset[str] | None:
    """What to collect for these areas (None: everything)."""
    if not areas:
        return None
    return frozenset().union(*(AREA_SOURCES.get(a, frozenset()) for a in areas))
