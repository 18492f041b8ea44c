"""The APIs each Kubernetes minor release stopped serving: the upstream table, as data.

Source: the Kubernetes "Deprecated API Migration Guide", section "Removed APIs by release"
(SOURCE), read on READ_ON. Its newest section is v1.32 (flowcontrol v1beta3); it lists no
removal for v1.33 to v1.35. Each row names the group/version, the kinds it served, the release
that stopped serving it, and where to migrate. A test holds the rows to the guide's facts.

Beyond Kubernetes itself, a component's own API can vanish with a chart bump: MetalLB's legacy
`AddressPool` (metallb.io v1alpha1/v1beta1) is gone since MetalLB v0.14.0 (metallb/metallb PR
2252, "Remove support for legacy AddressPools"). Those rows carry the component instead of a
Kubernetes release: they matter at every step (a chart bump a step needs would drop them).
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"
READ_ON = "2026-12-04"


@dataclass(frozen=True)
class RemovedApi:
    group: str
    version: str
    kinds: tuple[str, ...]
    removed_in: str | None  # the Kubernetes minor ("1.29"), or None for a component's own API
    replacement: str  # the apiVersion to migrate to
    note: str = ""
    component: str | None = None  # whose release removed it, for non-Kubernetes APIs

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


def _k8s(gv: str, kinds: str, removed_in: str, replacement: str, note: str = "") -> RemovedApi:
    group, _, version = gv.rpartition("/")
    return RemovedApi(group, version, tuple(kinds.split()), removed_in, replacement, note)


_FLOW = "FlowSchema PriorityLevelConfiguration"

REMOVED: tuple[RemovedApi, ...] = (
    # v1.32
    _k8s(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        _FLOW,
        "1.32",
        "flowcontrol.apiserver.k8s.io/v1",
        "nominalConcurrencyShares only defaults to 30 when unset; an explicit 0 stays 0",
    ),
    # v1.29
    _k8s(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        _FLOW,
        "1.29",
        "flowcontrol.apiserver.k8s.io/v1",
        "assuredConcurrencyShares is renamed nominalConcurrencyShares",
    ),
    # v1.27
    _k8s("storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.27", "storage.k8s.io/v1"),
    # v1.26
    _k8s("flowcontrol.apiserver.k8s.io/v1beta1", _FLOW, "1.26", "flowcontrol.apiserver.k8s.io/v1"),
    _k8s("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26", "autoscaling/v2"),
    # v1.25
    _k8s("batch/v1beta1", "CronJob", "1.25", "batch/v1"),
    _k8s("discovery.k8s.io/v1beta1", "EndpointSlice", "1.25", "discovery.k8s.io/v1"),
    _k8s("events.k8s.io/v1beta1", "Event", "1.25", "events.k8s.io/v1"),
    _k8s("autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.25", "autoscaling/v2"),
    _k8s("policy/v1beta1", "PodDisruptionBudget", "1.25", "policy/v1"),
    _k8s(
        "policy/v1beta1",
        "PodSecurityPolicy",
        "1.25",
        "none (Pod Security Admission)",
        "PodSecurityPolicy is removed without a successor API",
    ),
    _k8s("node.k8s.io/v1beta1", "RuntimeClass", "1.25", "node.k8s.io/v1"),
    # v1.22
    _k8s(
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration ValidatingWebhookConfiguration",
        "1.22",
        "admissionregistration.k8s.io/v1",
    ),
    _k8s(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        "1.22",
        "apiextensions.k8s.io/v1",
    ),
    _k8s("apiregistration.k8s.io/v1beta1", "APIService", "1.22", "apiregistration.k8s.io/v1"),
    _k8s("authentication.k8s.io/v1beta1", "TokenReview", "1.22", "authentication.k8s.io/v1"),
    _k8s(
        "authorization.k8s.io/v1beta1",
        "LocalSubjectAccessReview SelfSubjectAccessReview SubjectAccessReview",
        "1.22",
        "authorization.k8s.io/v1",
    ),
    _k8s(
        "certificates.k8s.io/v1beta1", "CertificateSigningRequest", "1.22", "certificates.k8s.io/v1"
    ),
    _k8s("coordination.k8s.io/v1beta1", "Lease", "1.22", "coordination.k8s.io/v1"),
    _k8s("extensions/v1beta1", "Ingress", "1.22", "networking.k8s.io/v1"),
    _k8s("networking.k8s.io/v1beta1", "Ingress IngressClass", "1.22", "networking.k8s.io/v1"),
    _k8s(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRole ClusterRoleBinding Role RoleBinding",
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    _k8s("scheduling.k8s.io/v1beta1", "PriorityClass", "1.22", "scheduling.k8s.io/v1"),
    _k8s(
        "storage.k8s.io/v1beta1",
        "CSIDriver CSINode StorageClass VolumeAttachment",
        "1.22",
        "storage.k8s.io/v1",
    ),
    # v1.16
    _k8s("extensions/v1beta1", "NetworkPolicy", "1.16", "networking.k8s.io/v1"),
    _k8s("extensions/v1beta1", "DaemonSet Deployment ReplicaSet", "1.16", "apps/v1"),
    _k8s("apps/v1beta1", "Deployment StatefulSet ReplicaSet", "1.16", "apps/v1"),
    _k8s("apps/v1beta2", "DaemonSet Deployment StatefulSet ReplicaSet", "1.16", "apps/v1"),
    # Components' own APIs
    RemovedApi(
        "metallb.io",
        "v1beta1",
        ("AddressPool",),
        None,
        "metallb.io/v1beta1 IPAddressPool + L2Advertisement",
        "MetalLB v0.14.0 removed the legacy AddressPool (metallb/metallb PR 2252)",
        component="metallb",
    ),
    RemovedApi(
        "metallb.io",
        "v1alpha1",
        ("AddressPool",),
        None,
        "metallb.io/v1beta1 IPAddressPool + L2Advertisement",
        "MetalLB v0.14.0 removed the legacy AddressPool (metallb/metallb PR 2252)",
        component="metallb",
    ),
)


def find(api_version: str, kind: str) -> RemovedApi | None:
    """The row for an object's apiVersion and kind, if that API is (or will be) removed."""
    for row in REMOVED:
        if row.api_version == api_version and kind in row.kinds:
            return row
    return None


def removed_by(minor: str) -> list[RemovedApi]:
    """The Kubernetes APIs a cluster stops serving when it reaches `minor` ("1.29")."""
    return [row for row in REMOVED if row.removed_in == minor]


def plural(kind: str) -> str:
    """The REST resource name of a kind in this table (FlowSchema -> flowschemas)."""
    lower = kind.lower()
    if lower.endswith("ss"):
        return lower + "es"
    if lower.endswith("y"):
        return lower[:-1] + "ies"
    return lower + "s"
