"""The Kubernetes kinds a health snapshot holds, named as kubectl names their files."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SnapshotKind:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True
    # Only these objects are listed live (events: warnings only, a busy cluster has 100,000s).
    field_selector: str = ""

    @property
    def resource(self) -> str:
        """kubectl's full resource name, the snapshot file's stem: `deployments.apps`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def list_path(self) -> str:
        """The all-namespaces LIST path."""
        root = f"/apis/{self.group}/{self.version}" if self.group else "/api/v1"
        return f"{root}/{self.plural}"


SNAPSHOT_KINDS: tuple[SnapshotKind, ...] = (
    SnapshotKind("", "v1", "Node", "nodes", namespaced=False),
    SnapshotKind("", "v1", "Pod", "pods"),
    SnapshotKind("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
    SnapshotKind("apps", "v1", "Deployment", "deployments"),
    SnapshotKind("apps", "v1", "StatefulSet", "statefulsets"),
    SnapshotKind("apps", "v1", "DaemonSet", "daemonsets"),
    SnapshotKind("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
    SnapshotKind("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets"),
    SnapshotKind("argoproj.io", "v1alpha1", "Application", "applications"),
    SnapshotKind("velero.io", "v1", "Backup", "backups"),
    SnapshotKind("velero.io", "v1", "Schedule", "schedules"),
    SnapshotKind("velero.io", "v1", "BackupStorageLocation", "backupstoragelocations"),
    SnapshotKind("cert-manager.io", "v1", "Certificate", "certificates"),
    SnapshotKind("longhorn.io", "v1beta2", "Volume", "volumes"),
    SnapshotKind("", "v1", "Namespace", "namespaces", namespaced=False),
    SnapshotKind("", "v1", "Service", "services"),
    SnapshotKind("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices"),
    SnapshotKind("", "v1", "PersistentVolume", "persistentvolumes", namespaced=False),
    SnapshotKind("", "v1", "Event", "events", field_selector="type=Warning"),
    SnapshotKind("batch", "v1", "Job", "jobs"),
    SnapshotKind("batch", "v1", "CronJob", "cronjobs"),
    SnapshotKind("networking.k8s.io", "v1", "Ingress", "ingresses"),
    SnapshotKind("networking.k8s.io", "v1", "IngressClass", "ingressclasses", namespaced=False),
    SnapshotKind("gateway.networking.k8s.io", "v1", "GatewayClass", "gatewayclasses", False),
    SnapshotKind("gateway.networking.k8s.io", "v1", "Gateway", "gateways"),
    SnapshotKind("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes"),
    SnapshotKind(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        namespaced=False,
    ),
    SnapshotKind(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        namespaced=False,
    ),
    SnapshotKind("cert-manager.io", "v1", "Issuer", "issuers"),
    SnapshotKind("cert-manager.io", "v1", "ClusterIssuer", "clusterissuers", namespaced=False),
    SnapshotKind("cert-manager.io", "v1", "CertificateRequest", "certificaterequests"),
)
BY_KIND = {k.kind: k for k in SNAPSHOT_KINDS}
BY_RESOURCE = {k.resource: k for k in SNAPSHOT_KINDS}
