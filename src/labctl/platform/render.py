"""`labctl render`: cluster.yaml -> the GitOps tree, as files (path -> text).

Layout of the tree (paths relative to the output directory, which is `git.path` in the repo):

    bootstrap/calico-install.yaml   applied first by `labctl bootstrap` (cni: calico)
    bootstrap/argocd-install.yaml   applied once by `labctl bootstrap` (Argo CD via a Helm Job)
    bootstrap/root.yaml             the root AppProject and the app-of-apps Application
    apps/projects.yaml              one AppProject per tier
    apps/<component>.yaml           one Application per component (pinned chart, values, wave)
    components/<component>/*.yaml   our own manifests for that component
    vault/vault-spec.yaml           the desired Vault configuration (`labctl vault configure`)
    kubeadm/*.yaml                  node configuration (not synced by Argo CD)
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from labctl.config.cluster import ClusterConfig
from labctl.platform import bootstrap_manifests, tree
from labctl.platform.component import Component
from labctl.platform.components import (
    argocd,
    calico,
    certs,
    cloudflared,
    csr_approver,
    dns,
    etcd_backup,
    garage,
    gateway,
    kubeadm,
    logging,
    longhorn,
    metallb,
    metrics_server,
    monitoring,
    taskapp,
    vault,
    vault_config,
    vault_snapshots,
    velero,
)
from labctl.platform.objects import Obj

# API groups served by Kubernetes itself; everything else comes from a CRD.
BUILT_IN_GROUPS = {
    "",
    "apps",
    "autoscaling",
    "batch",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
}
# Custom resources may be applied in the same sync that installs their CRDs.
SKIP_DRY_RUN = {"argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true"}


def components(config: ClusterConfig) -> list[Component]:
    desired_vault = vault_config.spec(config, taskapp.NAMESPACE, taskapp.BACKEND)
    cni = (
        [calico.crds_component(), calico.component(config)]
        if config.cluster.cni == "calico"
        else []
    )
    store = [garage.component(config)] if config.garage_targets else []
    base = [
        *cni,
        monitoring.crds_component(),
        gateway.crds_component(),
        longhorn.component(config),
        certs.component(config),
        certs.issuers_component(config),
        metrics_server.component(config),
        csr_approver.component(config),
        vault.component(config),
        vault_snapshots.component(config),
        _with_argocd_route(argocd.component(config), config),
        metallb.component(config),
        gateway.component(config),
        cloudflared.component(config),
        dns.component(config),
        monitoring.component(config, taskapp.NAMESPACE),
        *logging.components(config),
        *store,
        taskapp.database_component(config),
        vault_config.component(config, desired_vault),
        taskapp.component(config),
    ]
    with_volumes = {ns for c in base for ns in _volume_namespaces(c.manifests)}
    namespaces = velero.backed_up_namespaces(config, with_volumes)
    return [*base, _with_etcd_backup(velero.component(config, namespaces), config)]


def _with_etcd_backup(component: Component, config: ClusterConfig) -> Component:
    """Velero's namespace also runs the daily etcd snapshot (Velero does not back up etcd)."""
    return replace(component, manifests=[*component.manifests, *etcd_backup.manifests(config)])


def _with_argocd_route(component: Component, config: ClusterConfig) -> Component:
    route = gateway.route(
        "argocd", argocd.NAMESPACE, [config.host("argocd")], [("/", "argocd-server", 80)]
    )
    return replace(component, manifests=[*component.manifests, route])


def _volume_namespaces(objects: list[Obj]) -> set[str]:
    out = set()
    for obj in objects:
        ns = obj.get("metadata", {}).get("namespace")
        if obj["kind"] == "PersistentVolumeClaim" or (
            obj["kind"] == "StatefulSet" and obj["spec"].get("volumeClaimTemplates")
        ):
            out.add(ns)
    return out


def _mark_custom(obj: Obj) -> Obj:
    group = obj["apiVersion"].rpartition("/")[0]
    if group in BUILT_IN_GROUPS:
        return obj
    metadata = obj["metadata"]
    annotations = {**metadata.get("annotations", {}), **SKIP_DRY_RUN}
    return {**obj, "metadata": {**metadata, "annotations": annotations}}


def _component_files(component: Component) -> dict[str, str]:
    if not component.manifests:
        return {}
    policies = [o for o in component.manifests if o["kind"] == "NetworkPolicy"]
    rest = [_mark_custom(o) for o in component.manifests if o["kind"] != "NetworkPolicy"]
    folder = argocd.component_dir(component.name)
    files = {f"{folder}/resources.yaml": tree.dump(rest)}
    if policies:
        files[f"{folder}/network-policies.yaml"] = tree.dump(policies)
    return files


def files(config: ClusterConfig) -> dict[str, str]:
    """Every file of the tree, path -> text."""
    parts = components(config)
    out: dict[str, str] = {
        "bootstrap/argocd-install.yaml": tree.dump(bootstrap_manifests.install(config)),
        "bootstrap/root.yaml": tree.dump(bootstrap_manifests.root(config)),
        **(
            {"bootstrap/calico-install.yaml": tree.dump(bootstrap_manifests.calico_install(config))}
            if config.cluster.cni == "calico"
            else {}
        ),
        "apps/projects.yaml": tree.dump(argocd.projects(parts, config)),
    }
    for component in parts:
        out[f"apps/{component.name}.yaml"] = tree.dump([argocd.application(component, config)])
        out.update(_component_files(component))
    desired = vault_config.spec(config, taskapp.NAMESPACE, taskapp.BACKEND)
    out["vault/vault-spec.yaml"] = tree.HEADER + vault_config.spec_yaml(desired)
    for path, objects in kubeadm.files(config).items():
        out[path] = tree.dump(objects)
    return out


def render(config: ClusterConfig, out_dir: Path) -> tree.WriteResult:
    return tree.write(files(config), out_dir)


def stale(config: ClusterConfig, out_dir: Path) -> list[str]:
    """The files of `out_dir` that differ from a fresh render (missing, changed or extra)."""
    return tree.stale(files(config), out_dir)
