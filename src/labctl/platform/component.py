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

    Wave 0 holds what Vault itself stands on: a storage class for its Raft volumes and
    cert-manager for its TLS certificate (plus the Gateway API CRDs, which have no workload).
    """

    FOUNDATION = 0
    SECRETS = 1
    SECRETS_CONFIG = 2
    GITOPS = 3
    INGRESS = 4
    MONITORING = 5
    OPERATIONS = 6
    APPLICATIONS = 7


@dataclass(frozen=True)
class Chart:
    repo_url: str
    name: str
    version: str

    @property
    def oci(self) -> bool:
        return self.repo_url.startswith("oci://")


# Upstream chart pins (release versions from the chart index).
ARGO_CD = Chart("https://argoproj.github.io/argo-helm", "argo-cd", "10.1.1")
VAULT = Chart("https://helm.releases.hashicorp.com", "vault", "0.34.1")
OPENBAO = Chart("https://openbao.github.io/openbao-helm", "openbao", "0.29.2")
KUBE_PROMETHEUS_STACK = Chart(
    "https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack", "88.5.3"
)
LOKI = Chart("https://grafana-community.github.io/helm-charts", "loki", "18.11.0")
ALLOY = Chart("https://grafana.github.io/helm-charts", "alloy", "1.11.1")
LONGHORN = Chart("https://charts.longhorn.io", "longhorn", "1.12.1")
VELERO = Chart("https://vmware-tanzu.github.io/helm-charts", "velero", "12.1.0")
METALLB = Chart("https://metallb.github.io/metallb", "metallb", "0.16.1")
CERT_MANAGER = Chart("https://charts.jetstack.io", "cert-manager", "v1.21.1")
NGINX_GATEWAY_FABRIC = Chart(
    "oci://ghcr.io/nginx/charts/nginx-gateway-fabric", "nginx-gateway-fabric", "2.6.7"
)
# Gateway API CRDs: NGINX Gateway Fabric expects them installed; taken from the upstream tag.
GATEWAY_API_REPO = "https://github.com/kubernetes-sigs/gateway-api.git"
GATEWAY_API_VERSION = "v1.6.1"


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
