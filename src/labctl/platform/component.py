"""What a platform component is: an Argo CD Application's sources, its place in the order, and
the plain manifests we write for it.

Chart pins are the release versions of the upstream chart index (Helm repositories); values are
written only against keys of each chart's values.yaml (tests/platform/test_chart_values.py checks
them against a key index of those files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from labctl.platform.objects import Obj


class Wave(IntEnum):
    """Sync waves in the runbook's recovery order (Vault, Argo CD, ingress, monitoring, apps).

    A wave starts once every Application of the waves before it is healthy, so a kind is used
    only in a wave after the one that brings its CRD. Wave 0 holds the CRDs that other charts'
    templates use (Calico's, monitoring.coreos.com, Gateway API); wave 1 the CNI (which
    bootstrap installed already) and what Vault stands on (a StorageClass for its Raft volumes,
    cert-manager); wave 2 the issuers, once cert-manager's webhook answers. Vault's
    configuration waits for TaskApp's database, since it writes (and verifies) the database
    connection.
    """

    CRDS = 0
    FOUNDATION = 1
    ISSUERS = 2
    SECRETS = 3
    GITOPS = 4
    INGRESS = 5
    MONITORING = 6
    OPERATIONS = 7
    DATABASE = 8
    SECRETS_CONFIG = 9
    APPLICATIONS = 10


@dataclass(frozen=True)
class Chart:
    repo_url: str
    name: str
    version: str
    # The chart's Chart.yaml `kubeVersion` at that version (None: it sets none).
    kube_version: str | None = None
    # A chart published only in a Git repository: its folder there (version = the Git tag).
    git_path: str | None = None

    @property
    def oci(self) -> bool:
        return self.repo_url.startswith("oci://")


# Upstream chart pins (release versions from the chart index).
ARGO_CD = Chart("https://argoproj.github.io/argo-helm", "argo-cd", "10.1.1", ">=1.25.0-0")
VAULT = Chart("https://helm.releases.hashicorp.com", "vault", "0.34.1", ">= 1.20.0-0")
OPENBAO = Chart("https://openbao.github.io/openbao-helm", "openbao", "0.29.2", ">= 1.30.0-0")
KUBE_PROMETHEUS_STACK = Chart(
    "https://prometheus-community.github.io/helm-charts",
    "kube-prometheus-stack",
    "88.5.3",
    ">=1.25.0-0",
)
LOKI = Chart("https://grafana-community.github.io/helm-charts", "loki", "18.11.0", ">=1.25.0-0")
ALLOY = Chart("https://grafana.github.io/helm-charts", "alloy", "1.11.1")
LONGHORN = Chart("https://charts.longhorn.io", "longhorn", "1.12.1", ">=1.25.0-0")
VELERO = Chart("https://vmware-tanzu.github.io/helm-charts", "velero", "12.1.0", ">=1.16.0-0")
METALLB = Chart("https://metallb.github.io/metallb", "metallb", "0.16.1", ">= 1.19.0-0")
CERT_MANAGER = Chart("https://charts.jetstack.io", "cert-manager", "v1.21.1", ">= 1.22.0-0")
NGINX_GATEWAY_FABRIC = Chart(
    "oci://ghcr.io/nginx/charts/nginx-gateway-fabric",
    "nginx-gateway-fabric",
    "2.6.7",
    ">= 1.31.0-0",
)
PROMETHEUS_OPERATOR_CRDS = Chart(
    "https://prometheus-community.github.io/helm-charts", "prometheus-operator-crds", "31.0.1"
)
METRICS_SERVER = Chart(
    "https://kubernetes-sigs.github.io/metrics-server/", "metrics-server", "3.13.1"
)
KUBELET_CSR_APPROVER = Chart(
    "https://postfinance.github.io/kubelet-csr-approver", "kubelet-csr-approver", "1.2.14"
)
TIGERA_OPERATOR = Chart("https://docs.tigera.io/calico/charts", "tigera-operator", "v3.32.1")
CALICO_CRDS = Chart("https://docs.tigera.io/calico/charts", "crd.projectcalico.org.v1", "v3.32.1")
# Garage has no Helm repository: the chart lives in its source tree.
GARAGE = Chart(
    "https://git.deuxfleurs.fr/Deuxfleurs/garage.git",
    "garage",
    "v1.2.0",
    git_path="script/helm/garage",
)
# The oldest Kubernetes minor each pin runs on, where it is above the others' (Chart.yaml
# kubeVersion, or the CRDs' fields); config.cluster.MIN_KUBERNETES is the highest of them.
KUBERNETES_FLOORS = {
    NGINX_GATEWAY_FABRIC: (1, 31),  # kubeVersion: >= 1.31.0-0
    CERT_MANAGER: (1, 30),  # the Certificate CRD's selectableFields
}
# Gateway API CRDs: NGINX Gateway Fabric expects them installed; taken from the upstream tag.
# NGINX Gateway Fabric 2.6.7 supports Gateway API v1.5.1 (its README's compatibility table).
GATEWAY_API_REPO = "https://github.com/kubernetes-sigs/gateway-api.git"
GATEWAY_API_VERSION = "v1.5.1"


def webhook_ca() -> tuple[Obj, ...]:
    """Webhook CA bundles injected at run time (by the injector, cainjector or a patch Job)."""
    return tuple(
        {
            "group": "admissionregistration.k8s.io",
            "kind": kind,
            "jqPathExpressions": [".webhooks[]?.clientConfig.caBundle"],
        }
        for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
    )


@dataclass(frozen=True)
class GitPath:
    """A directory of a pinned upstream Git repository (not our repository)."""

    repo_url: str
    revision: str
    path: str


@dataclass(frozen=True)
class Component:
    name: str
    namespace: str
    tier: str
    wave: Wave
    description: str
    manifests: list[Obj] = field(default_factory=list)
    chart: Chart | None = None
    release: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    upstream: GitPath | None = None
    # Namespaces this component's Application may write to (its own first).
    extra_namespaces: tuple[str, ...] = ()
    server_side_apply: bool = False
    # Fields a controller rewrites at run time; Argo CD must not undo them (see webhook_ca()).
    ignore_differences: tuple[Obj, ...] = ()

    @property
    def namespaces(self) -> tuple[str, ...]:
        return (self.namespace, *self.extra_namespaces)
