"""The cross-reference checks: pure functions from the loaded tree to findings.

Each check returns (check id, where, message) triples; __init__.py turns them into a Result.
They see only what the tree holds: objects that Helm charts create at sync time are unknown here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import yaml

from labctl.platform.objects import BACKUP_EXCLUDED
from labctl.validate.tree import Manifest, Tree, helm_sources
from labctl.validate.xref.scrape import scrape_targets_answer
from labctl.validate.xref.workloads import (
    Workload,
    matches,
    service_matches,
    workloads,
)

Issue = tuple[str, str, str]  # (check id, where, message)
KUBE_PROMETHEUS_STACK = "kube-prometheus-stack"


def hpa_targets_exist(tree: Tree) -> Iterator[Issue]:
    owners = {(w.kind, w.namespace, w.name) for w in workloads(tree)}
    for hpa in tree.of_kind("HorizontalPodAutoscaler"):
        ref = (hpa.obj.get("spec") or {}).get("scaleTargetRef") or {}
        target = (str(ref.get("kind")), hpa.namespace, str(ref.get("name")))
        if target not in owners:
            yield (
                "hpa-target",
                hpa.ref,
                f"scaleTargetRef {target[0]}/{target[2]} does not exist in namespace "
                f"{hpa.namespace}",
            )


def _min_replicas(tree: Tree) -> dict[tuple[str, str, str], int]:
    """For HPA-scaled workloads: the HPA's minReplicas (the floor a drain meets)."""
    floors = {}
    for hpa in tree.of_kind("HorizontalPodAutoscaler"):
        spec = hpa.obj.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        key = (str(ref.get("kind")), hpa.namespace, str(ref.get("name")))
        floors[key] = int(spec.get("minReplicas", 1))
    return floors


def _scaled(value: int | str, total: int) -> int:
    # Kubernetes rounds PDB percentages up (intstr.GetScaledValueFromIntOrPercent, roundUp).
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(total * int(value[:-1]) / 100)
    return int(value)


def _allowed_disruptions(spec: dict[str, Any], pods: int) -> int | None:
    if "minAvailable" in spec:
        return pods - _scaled(spec["minAvailable"], pods)
    if "maxUnavailable" in spec:
        return min(_scaled(spec["maxUnavailable"], pods), pods)
    return None


def pdbs_allow_drains(tree: Tree) -> Iterator[Issue]:
    owners = list(workloads(tree))
    floors = _min_replicas(tree)
    for pdb in tree.of_kind("PodDisruptionBudget"):
        spec = pdb.obj.get("spec") or {}
        selected = [
            w
            for w in owners
            if w.namespace == pdb.namespace and matches(spec.get("selector"), w.pod_labels)
        ]
        if not selected:
            if not pdb.app:  # a chart's PDB may guard pods its operator makes
                yield (
                    "pdb-selects-nothing",
                    pdb.ref,
                    "selects no pods of any workload in the tree",
                )
            continue
        pods = sum(_floor(w, floors) for w in selected)
        allowed = _allowed_disruptions(spec, pods)
        names = ", ".join(f"{w.kind}/{w.name}" for w in selected)
        if allowed is None:
            yield ("pdb-no-budget", pdb.ref, "sets neither minAvailable nor maxUnavailable")
        elif allowed < 1:
            budget = {k: spec[k] for k in ("minAvailable", "maxUnavailable") if k in spec}
            yield (
                "pdb-blocks-drain",
                pdb.ref,
                f"{budget} allows no disruption at the minimum of {pods} pod(s) ({names}): "
                "every node drain would wait forever",
            )


def _floor(workload: Workload, floors: dict[tuple[str, str, str], int]) -> int:
    key = (workload.kind, workload.namespace, workload.name)
    if key in floors:
        return floors[key]
    return workload.replicas if workload.replicas is not None else 1


def services_select_pods(tree: Tree) -> Iterator[Issue]:
    owners = list(workloads(tree))
    for service in tree.of_kind("Service"):
        spec = service.obj.get("spec") or {}
        selector = spec.get("selector")
        if not selector or spec.get("type") == "ExternalName" or service.app:
            # Endpoints managed by hand or by a controller; a chart's Services often select
            # pods that its operator or the kubelet makes (Prometheus, static pods).
            continue
        if not any(
            w.namespace == service.namespace and service_matches(selector, w.pod_labels)
            for w in owners
        ):
            yield ("service-selects-nothing", service.ref, f"selector {selector} matches no pods")


def _denies_all_ingress(policy: Manifest) -> bool:
    spec = policy.obj.get("spec") or {}
    selects_all = not (spec.get("podSelector") or {})
    types = spec.get("policyTypes") or ["Ingress"]
    return selects_all and "Ingress" in types and not spec.get("ingress")


def namespaces_default_deny(tree: Tree) -> Iterator[Issue]:
    namespaces = {m.name: m.ref for m in tree.of_kind("Namespace")}
    for workload in workloads(tree):
        namespaces.setdefault(workload.namespace, workload.manifest.ref)
    denied = {p.namespace for p in tree.of_kind("NetworkPolicy") if _denies_all_ingress(p)}
    for namespace, where in sorted(namespaces.items()):
        if namespace and namespace not in denied:
            yield (
                "no-default-deny",
                where,
                f"namespace {namespace} has no default-deny NetworkPolicy "
                "(podSelector {}, policyTypes with Ingress, no ingress rules)",
            )


def _claims(tree: Tree) -> Iterator[tuple[str, str]]:
    """(namespace, where) for every PVC the tree creates, directly or through a template."""
    for pvc in tree.of_kind("PersistentVolumeClaim"):
        yield pvc.namespace, pvc.ref
    for sts in tree.of_kind("StatefulSet"):
        for template in (sts.obj.get("spec") or {}).get("volumeClaimTemplates") or []:
            name = (template.get("metadata") or {}).get("name", "?")
            yield sts.namespace, f"{sts.ref} volumeClaimTemplate {name}"
    for cluster in tree.of_kind("Cluster"):
        if cluster.group == "postgresql.cnpg.io":
            yield cluster.namespace, f"{cluster.ref} storage"


def _covers(schedule: Manifest, namespace: str) -> bool:
    template = (schedule.obj.get("spec") or {}).get("template") or {}
    included = template.get("includedNamespaces") or ["*"]
    excluded = template.get("excludedNamespaces") or []
    return (namespace in included or "*" in included) and namespace not in excluded


def _not_backed_up(tree: Tree) -> dict[str, str]:
    """Namespaces whose Namespace object says, with a reason, that no backup is wanted."""
    out = {}
    for ns in tree.of_kind("Namespace"):
        annotations = (ns.obj.get("metadata") or {}).get("annotations") or {}
        reason = str(annotations.get(BACKUP_EXCLUDED) or "").strip()
        if reason:
            out[ns.name] = reason
    return out


def pvcs_backed_up(tree: Tree) -> Iterator[Issue]:
    schedules = list(tree.of_kind("Schedule"))
    writable = [
        bsl.name
        for bsl in tree.of_kind("BackupStorageLocation")
        if (bsl.obj.get("spec") or {}).get("accessMode", "ReadWrite") != "ReadOnly"
    ]
    excluded = _not_backed_up(tree)
    for namespace, where in _claims(tree):
        covering = [s for s in schedules if not _paused(s) and _covers(s, namespace)]
        if namespace in excluded:
            # Said on purpose; a Schedule that still takes it contradicts the reason given.
            for s in covering:
                yield (
                    "pvc-backup-excluded-scheduled",
                    where,
                    f"namespace {namespace} is marked not backed up ({excluded[namespace]}), "
                    f"yet Schedule {s.name} includes it",
                )
            continue
        if not covering:
            yield ("pvc-no-backup", where, f"no Velero Schedule backs up namespace {namespace}")
            continue
        # 3-2-1: Velero writes a backup to one location, so each location needs its schedule.
        reached = {_location(s) for s in covering}
        for location in writable:
            if location not in reached:
                yield (
                    "pvc-location-missed",
                    where,
                    f"no Schedule backs up namespace {namespace} to location {location}",
                )


def _paused(schedule: Manifest) -> bool:
    return bool((schedule.obj.get("spec") or {}).get("paused"))


def _location(schedule: Manifest) -> str:
    template = (schedule.obj.get("spec") or {}).get("template") or {}
    return str(template.get("storageLocation") or "default")


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_problem(image: str) -> str | None:
    if not image:
        return "has no image"
    if _DIGEST.search(image):
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {image} has no tag (means :latest)"
    if last.rsplit(":", 1)[1] == "latest":
        return f"image {image} uses :latest"
    return None


def images_pinned(tree: Tree) -> Iterator[Issue]:
    for workload in workloads(tree):
        for image in workload.images:
            problem = image_problem(image)
            if problem:
                yield ("image-not-pinned", workload.manifest.ref, problem)
    for application in tree.of_kind("Application"):
        for source in helm_sources(application):
            for path, tag in _image_tags(source.values, ""):
                if tag == "latest":
                    yield (
                        "image-not-pinned",
                        application.ref,
                        f"Helm value {path} is 'latest'",
                    )


def _image_tags(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            if key == "tag" and isinstance(value, str):
                yield here, value
            elif key == "image" and isinstance(value, str) and image_problem(value):
                yield here, "latest"
            else:
                yield from _image_tags(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _image_tags(value, f"{path}[{index}]")


def vault_specs(tree: Tree) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, VaultSpec data): standalone documents or YAML inside a ConfigMap's data."""
    for spec in tree.of_kind("VaultSpec"):
        yield spec.ref, spec.obj
    for config_map in tree.of_kind("ConfigMap"):
        for key, text in ((config_map.obj.get("data")) or {}).items():
            if "VaultSpec" not in str(text):
                continue
            try:
                doc = yaml.safe_load(str(text))
            except yaml.YAMLError:
                continue
            if isinstance(doc, dict) and doc.get("kind") == "VaultSpec":
                yield f"{config_map.ref} data.{key}", doc


def vault_roles_dedicated(tree: Tree) -> Iterator[Issue]:
    accounts = {(m.namespace, m.name) for m in tree.of_kind("ServiceAccount")}
    tree_namespaces = {m.namespace for m in tree.manifests} | {
        m.name for m in tree.of_kind("Namespace")
    }
    for where, spec in vault_specs(tree):
        auth = spec.get("kubernetes_auth") or {}
        for role in auth.get("roles") or []:
            names = role.get("bound_service_account_names") or []
            namespaces = role.get("bound_service_account_namespaces") or []
            label = f"Vault role {role.get('name', '?')}"
            if "default" in names or "*" in names:
                yield (
                    "vault-role-default-sa",
                    where,
                    f"{label} is bound to the 'default' (or every) ServiceAccount: every pod "
                    "in the namespace gets its policies",
                )
            if "*" in namespaces:
                yield ("vault-role-any-namespace", where, f"{label} is bound to every namespace")
            for namespace in namespaces:
                for name in names:
                    if namespace in tree_namespaces and (namespace, name) not in accounts:
                        yield (
                            "vault-role-sa-missing",
                            where,
                            f"{label} is bound to ServiceAccount {namespace}/{name}, "
                            "which the tree does not create",
                        )


def vault_spec_consistent(tree: Tree) -> Iterator[Issue]:
    """References inside a VaultSpec, and the seed's hazard: revocation leaving sessions open."""
    for where, spec in vault_specs(tree):
        policies = {p.get("name") for p in spec.get("policies") or []}
        for role in (spec.get("kubernetes_auth") or {}).get("roles") or []:
            for policy in role.get("token_policies") or []:
                if policy not in policies and policy != "default":
                    yield (
                        "vault-unknown-policy",
                        where,
                        f"Vault role {role.get('name')} grants policy {policy}, which the spec "
                        "does not define",
                    )
        database = spec.get("database") or {}
        connections = {c.get("name"): c for c in database.get("connections") or []}
        for role in database.get("roles") or []:
            name, db = role.get("name"), role.get("db_name")
            connection = connections.get(db)
            if connection is None:
                yield ("vault-db-no-connection", where, f"database role {name}: no connection {db}")
            elif name not in (connection.get("allowed_roles") or []):
                yield (
                    "vault-db-role-not-allowed",
                    where,
                    f"database role {name} is not in connection {db}'s allowed_roles",
                )
            revocation = " ".join(role.get("revocation_statements") or []).lower()
            if "pg_terminate_backend" not in revocation:
                yield (
                    "vault-db-sessions-survive",
                    where,
                    f"database role {name}: revocation does not end the user's sessions "
                    "(pg_terminate_backend); VALID UNTIL only stops new logins, so open "
                    "connections outlive the lease",
                )


def _rule_selector(tree: Tree) -> dict[str, Any] | None:
    """The label selector kube-prometheus-stack's Prometheus picks PrometheusRules with.

    From the chart's values: an explicit `ruleSelector`; else, when
    `ruleSelectorNilUsesHelmValues` is true (the default), `release: <Helm release>` (Argo CD's
    `releaseName`, else the Application's name); else every rule ({}). None: no such chart.
    """
    selectors = []
    for application in tree.of_kind("Application"):
        for source in helm_sources(application):
            if source.chart != KUBE_PROMETHEUS_STACK:
                continue
            prometheus = (source.values.get("prometheus") or {}).get("prometheusSpec") or {}
            if prometheus.get("ruleSelector"):
                selectors.append(dict(prometheus["ruleSelector"]))
            elif prometheus.get("ruleSelectorNilUsesHelmValues", True):
                selectors.append({"matchLabels": {"release": source.release}})
            else:
                selectors.append({})
    return selectors[0] if len(selectors) == 1 else None


def rules_selected(tree: Tree) -> Iterator[Issue]:
    """PrometheusRules carry the labels kube-prometheus-stack's Prometheus selects them by."""
    selector = _rule_selector(tree)
    if not selector:
        return  # no (single) kube-prometheus-stack, or it selects every rule
    for rule in tree.of_kind("PrometheusRule"):
        labels = (rule.obj.get("metadata") or {}).get("labels") or {}
        if not matches(selector, labels):
            yield (
                "rule-not-selected",
                rule.ref,
                f"labels {labels} do not match kube-prometheus-stack's ruleSelector {selector}: "
                "Prometheus would not load these rules",
            )


CHECKS = (
    hpa_targets_exist,
    pdbs_allow_drains,
    services_select_pods,
    namespaces_default_deny,
    pvcs_backed_up,
    images_pinned,
    vault_roles_dedicated,
    vault_spec_consistent,
    rules_selected,
    scrape_targets_answer,
)
