"""Argo CD: the root app-of-apps, one AppProject per tier, one Application per component, and
Argo CD's own component (it manages itself after `labctl bootstrap` installed it once).
"""

from __future__ import annotations

import posixpath
from typing import Any

from labctl.config.cluster import ClusterConfig
from labctl.platform import netpol
from labctl.platform.component import ARGO_CD, Component, Wave
from labctl.platform.objects import Obj, labels, meta, namespace, resources

NAMESPACE = "argocd"
IN_CLUSTER = "https://kubernetes.default.svc"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
ROOT = "platform-root"
ROOT_PROJECT = "platform-root"
TIER_LABEL = "platform-lab.dev/tier"
# Argo CD >= 1.8 does not assess child Application health, so without this the parent
# reports Healthy at once and sync waves would not wait for the previous tier (ops-apis 3).
APPLICATION_HEALTH_LUA = """\
hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil and obj.status.health ~= nil then
  hs.status = obj.status.health.status
  if obj.status.health.message ~= nil then
    hs.message = obj.status.health.message
  end
end
return hs
"""
RETRY = {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}}


def repo_path(config: ClusterConfig, *parts: str) -> str:
    return posixpath.join(config.git.path, *parts) if config.git.path else posixpath.join(*parts)


def component_dir(name: str) -> str:
    return f"components/{name}"


def _sync_policy(server_side_apply: bool = False, ignores: bool = False) -> Obj:
    options = ["PruneLast=true"]
    if ignores:
        options.append("RespectIgnoreDifferences=true")
    if server_side_apply:
        options.append("ServerSideApply=true")
    return {
        "automated": {"prune": True, "selfHeal": True},
        "syncOptions": options,
        "retry": RETRY,
    }


def _chart_source(component: Component) -> Obj:
    chart = component.chart
    assert chart is not None
    helm: dict[str, Any] = {
        "releaseName": component.release or component.name,
        "valuesObject": component.values,
    }
    if chart.git_path is not None:
        return {
            "repoURL": chart.repo_url,
            "targetRevision": chart.version,
            "path": chart.git_path,
            "helm": helm,
        }
    if chart.oci:
        return {
            "repoURL": chart.repo_url,
            "targetRevision": chart.version,
            "path": ".",
            "helm": helm,
        }
    return {
        "repoURL": chart.repo_url,
        "chart": chart.name,
        "targetRevision": chart.version,
        "helm": helm,
    }


def application(component: Component, config: ClusterConfig) -> Obj:
    sources: list[Obj] = []
    if component.chart is not None:
        sources.append(_chart_source(component))
    if component.upstream is not None:
        up = component.upstream
        sources.append({"repoURL": up.repo_url, "targetRevision": up.revision, "path": up.path})
    if component.manifests:
        sources.append(
            {
                "repoURL": config.git.repo_url,
                "targetRevision": config.git.branch,
                "path": repo_path(config, component_dir(component.name)),
            }
        )
    spec: Obj = {
        "project": component.tier,
        "destination": {"server": IN_CLUSTER, "namespace": component.namespace},
        "syncPolicy": _sync_policy(component.server_side_apply, bool(component.ignore_differences)),
    }
    if component.ignore_differences:
        spec["ignoreDifferences"] = list(component.ignore_differences)
    spec["sources" if len(sources) > 1 else "source"] = sources if len(sources) > 1 else sources[0]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": meta(
            component.name,
            NAMESPACE,
            labels={**labels(component.name, "application"), TIER_LABEL: component.tier},
            annotations={
                "argocd.argoproj.io/sync-wave": str(int(component.wave)),
                "platform-lab.dev/description": component.description,
            },
            finalizers=[FINALIZER],
        ),
        "spec": spec,
    }


def _source_repos(members: list[Component], config: ClusterConfig) -> list[str]:
    repos = {config.git.repo_url}
    for c in members:
        if c.chart is not None:
            repos.add(c.chart.repo_url)
        if c.upstream is not None:
            repos.add(c.upstream.repo_url)
    return sorted(repos)


def projects(components: list[Component], config: ClusterConfig) -> list[Obj]:
    """One AppProject per tier: its sources, its namespaces, nothing else."""
    tiers: dict[str, list[Component]] = {}
    for c in components:
        tiers.setdefault(c.tier, []).append(c)
    out = []
    for tier, members in sorted(tiers.items()):
        namespaces = sorted({ns for c in members for ns in c.namespaces})
        spec: Obj = {
            "description": f"Platform tier {tier}: " + ", ".join(c.name for c in members),
            "sourceRepos": _source_repos(members, config),
            "destinations": [{"server": IN_CLUSTER, "namespace": ns} for ns in namespaces],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
            "orphanedResources": {"warn": True},
        }
        if tier == "applications":
            # Workloads may create their namespace and nothing else cluster-wide.
            spec["clusterResourceWhitelist"] = [{"group": "", "kind": "Namespace"}]
        out.append(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "AppProject",
                "metadata": meta(
                    tier,
                    NAMESPACE,
                    labels={**labels(tier, "project"), TIER_LABEL: tier},
                    # Before every Application of the root, which all name a project.
                    annotations={"argocd.argoproj.io/sync-wave": "-1"},
                ),
                "spec": spec,
            }
        )
    out.append(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": meta(ROOT_PROJECT, NAMESPACE, labels=labels(ROOT_PROJECT, "project")),
            "spec": {
                "description": "The app-of-apps: Applications and AppProjects in argocd only.",
                "sourceRepos": [config.git.repo_url],
                "destinations": [{"server": IN_CLUSTER, "namespace": NAMESPACE}],
                "clusterResourceWhitelist": [],
                "namespaceResourceWhitelist": [
                    {"group": "argoproj.io", "kind": "Application"},
                    {"group": "argoproj.io", "kind": "AppProject"},
                ],
            },
        }
    )
    return out


def root_application(config: ClusterConfig) -> Obj:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": meta(
            ROOT, NAMESPACE, labels=labels(ROOT, "application"), finalizers=[FINALIZER]
        ),
        "spec": {
            "project": ROOT_PROJECT,
            "source": {
                "repoURL": config.git.repo_url,
                "targetRevision": config.git.branch,
                "path": repo_path(config, "apps"),
            },
            "destination": {"server": IN_CLUSTER, "namespace": NAMESPACE},
            "syncPolicy": _sync_policy(),
        },
    }


def root_project_bootstrap(config: ClusterConfig) -> Obj:
    """The root's own AppProject, applied by bootstrap before the root Application."""
    return next(p for p in projects([], config) if p["metadata"]["name"] == ROOT_PROJECT)


def values(config: ClusterConfig) -> dict[str, Any]:
    """argo-cd chart values; `labctl bootstrap` installs the same chart with these."""
    return {
        # The containers set their own restricted contexts; the pods get one too.
        "global": {
            "domain": config.host("argocd"),
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        },
        "configs": {
            "cm": {
                "resource.customizations.health.argoproj.io_Application": APPLICATION_HEALTH_LUA,
                "timeout.reconciliation": "180s",
            },
            "params": {"server.insecure": True},
        },
        "dex": {"enabled": False},
        "notifications": {"enabled": False},
        # Requests and limits for every container (the chart sets none).
        "controller": {"resources": resources("250m", "512Mi", "1", "1Gi")},
        "repoServer": {
            "resources": resources("100m", "256Mi", "1", "512Mi"),
            "copyutil": {"resources": resources("10m", "32Mi", "100m", "64Mi")},
        },
        "server": {"resources": resources("50m", "128Mi", "500m", "256Mi")},
        # The chart's own probes, off by default.
        "applicationSet": {
            "resources": resources("50m", "128Mi", "500m", "256Mi"),
            "livenessProbe": {"enabled": True},
            "readinessProbe": {"enabled": True},
        },
        # Redis is a cache that never calls the Kubernetes API: no token in its pods.
        "redis": {
            "resources": resources("50m", "64Mi", "250m", "128Mi"),
            "automountServiceAccountToken": False,
            "livenessProbe": {"enabled": True},
            "readinessProbe": {"enabled": True},
        },
        "redisSecretInit": {"resources": resources("10m", "32Mi", "100m", "64Mi")},
    }


def component(config: ClusterConfig) -> Component:
    traffic = netpol.Traffic(
        api_server=True,
        internet_ports=(443, 22),  # Git over HTTPS/SSH and Helm/OCI registries
        inbound=(
            netpol.Inbound("gateway", (8080,), ("nginx-gateway",)),
            netpol.Inbound("monitoring", (8082, 8083, 8084), ("monitoring",)),
        ),
    )
    return Component(
        name="argocd",
        namespace=NAMESPACE,
        tier="gitops",
        wave=Wave.GITOPS,
        description="Argo CD managing itself (installed once by labctl bootstrap)",
        # applicationsets.argoproj.io is ~370 KB, over client-side apply's annotation limit.
        server_side_apply=True,
        chart=ARGO_CD,
        release="argocd",
        values=values(config),
        manifests=[namespace(NAMESPACE, "baseline"), *netpol.policies(NAMESPACE, traffic)],
    )
