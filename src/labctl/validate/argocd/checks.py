"""The sync checks: what stops Argo CD's sync of the tree on a fresh cluster.

Each check takes the placed objects (placement.py) and yields (check id, where, message).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from typing import Any

from labctl.validate.argocd.placement import PREEXISTING_NAMESPACES, Placed, Sync
from labctl.validate.charts.kubeversion import Version

Issue = tuple[str, str, str]  # (check id, where, message)

# Kubernetes' own API groups: everything else is a custom kind that needs its CRD.
BUILTIN_GROUPS = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)
# Installed before the root Application syncs: Argo CD's own CRDs (bootstrap installs it).
PREINSTALLED_GROUPS = frozenset({"argoproj.io"})
# The annotation client-side apply writes holds the whole object; annotations are limited to
# 256 KiB in all (apimachinery's TotalAnnotationSizeLimitB).
ANNOTATION_LIMIT = 262_144
# CRD version fields and the first Kubernetes minor that accepts them with default gates.
CRD_FIELDS_SINCE: dict[str, tuple[Version, str]] = {
    "selectableFields": (
        (1, 31, 0),
        "beta and on by default from 1.31 (1.30: alpha behind the CustomResourceFieldSelectors "
        "feature gate, off by default; older API servers reject the unknown field)",
    ),
}


def _where(placed: Placed) -> str:
    return f"{placed.manifest.ref} (app {placed.app.name}, wave {placed.app.wave})"


def _key(placed: Placed) -> tuple[str, str]:
    return (placed.manifest.group, placed.manifest.kind)


def crd_before_use(sync: Sync, charts_rendered: bool, notes: list[str]) -> Iterator[Issue]:
    unknown: dict[str, int] = {}
    unseen = sorted({u for app in sync.apps for u in app.unseen})
    for placed in sync.placed:
        group, kind = _key(placed)
        if group in BUILTIN_GROUPS or group in PREINSTALLED_GROUPS:
            continue
        definitions = sync.crds.get((group, kind), [])
        if not definitions:
            if charts_rendered and not unseen and not placed.has("SkipDryRunOnMissingResource"):
                yield (
                    "crd-missing",
                    _where(placed),
                    f"no Application of the tree installs the CRD of {group}/{kind}; without "
                    "SkipDryRunOnMissingResource=true (for a CRD a controller creates) the "
                    "sync fails its dry run",
                )
            elif not placed.has("SkipDryRunOnMissingResource"):
                unknown[f"{group}/{kind}"] = unknown.get(f"{group}/{kind}", 0) + 1
            continue
        issue = _crd_order(placed, definitions)
        if issue:
            yield ("crd-before-use", _where(placed), issue)
    if unknown:
        why = (
            "charts were not rendered (--charts)"
            if not charts_rendered
            else "they may come from what the tree cannot show: " + ", ".join(unseen)
        )
        listed = ", ".join(f"{k} ({n})" for k, n in sorted(unknown.items()))
        notes.append(f"CRD order not proven for {listed}: their CRDs are not in the tree; {why}")


def _crd_order(placed: Placed, definitions: list[Placed]) -> str | None:
    """Why `placed` is applied before its CRD is established, or None if it is not."""
    app = placed.app
    if any(d.app.wave < app.wave for d in definitions):
        return None
    same_app = [d for d in definitions if d.app is app]
    if same_app:
        # Argo CD skips the dry run for a CRD in the same sync and applies it first within
        # a wave; a CR in an earlier phase or wave still meets no CRD.
        first = min(same_app, key=lambda d: d.order)
        if first.order <= placed.order:
            return None
        return (
            f"its CRD comes later in the same Application ({first.phase}, wave {first.wave}) "
            f"than it ({placed.phase}, wave {placed.wave})"
        )
    first = min(definitions, key=lambda d: d.order)
    if first.app.wave == app.wave:
        if placed.has("SkipDryRunOnMissingResource"):
            return None  # same wave, synced in parallel: retries converge once the CRD exists
        return (
            f"its CRD comes from Application {first.app.name} in the same wave {app.wave}, "
            "synced in parallel; the dry run fails unless the object (or its Application) "
            "sets SkipDryRunOnMissingResource=true"
        )
    return (
        f"its CRD comes from Application {first.app.name} in wave {first.app.wave}, after "
        f"this wave {app.wave}: the root Application waits for this wave's health, so the "
        "sync stops here"
    )


def _matches(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern or "")


def _allows_namespace(project: dict[str, Any], namespace: str) -> bool:
    destinations = [str(d.get("namespace", "")) for d in project.get("destinations") or []]
    denied = [d[1:] for d in destinations if d.startswith("!")]
    allowed = [d for d in destinations if not d.startswith("!")]
    return any(_matches(d, namespace) for d in allowed) and not any(
        _matches(d, namespace) for d in denied
    )


def _listed(entries: list[dict[str, Any]] | None, group: str, kind: str) -> bool:
    return any(
        _matches(str(e.get("group", "")), group) and _matches(str(e.get("kind", "")), kind)
        for e in entries or []
    )


def project_permissions(sync: Sync) -> Iterator[Issue]:
    projects = {p.name: p.obj.get("spec") or {} for p in sync.tree.of_kind("AppProject")}
    outside: dict[tuple[str, str, str], list[Placed]] = {}
    for placed in sync.placed:
        name = placed.app.project
        if name not in projects:
            continue  # "default" or a project from elsewhere: Argo CD says so at sync time
        project = projects[name]
        group, kind = _key(placed)
        if not placed.namespace:
            allowed = _listed(project.get("clusterResourceWhitelist"), group, kind)
            if not allowed or _listed(project.get("clusterResourceBlacklist"), group, kind):
                outside.setdefault(("project-cluster-kind", name, f"{group}/{kind}"), []).append(
                    placed
                )
            continue
        if not _allows_namespace(project, placed.namespace):
            outside.setdefault(("project-namespace", name, placed.namespace), []).append(placed)
        whitelist = project.get("namespaceResourceWhitelist")
        if (whitelist is not None and not _listed(whitelist, group, kind)) or _listed(
            project.get("namespaceResourceBlacklist"), group, kind
        ):
            outside.setdefault(("project-namespaced-kind", name, f"{group}/{kind}"), []).append(
                placed
            )
    for (check, project, what), objects in sorted(outside.items()):
        app = objects[0].app.name
        shown = ", ".join(o.manifest.ref for o in objects[:3])
        more = f" and {len(objects) - 3} more" if len(objects) > 3 else ""
        if check == "project-namespace":
            message = f"writes {len(objects)} object(s) into namespace {what}, not a destination"
        elif check == "project-cluster-kind":
            message = f"creates cluster-scoped {what}, not in the clusterResourceWhitelist"
        else:
            message = f"creates {what}, which the project's namespace resource lists refuse"
        yield (
            check,
            f"Application {app} (project {project})",
            f"{message} of AppProject {project}: Argo CD refuses the sync. {shown}{more}",
        )


def crd_size(sync: Sync) -> Iterator[Issue]:
    for placed in sync.placed:
        if placed.manifest.kind != "CustomResourceDefinition":
            continue
        size = len(json.dumps(placed.manifest.obj, separators=(",", ":")))
        if size > ANNOTATION_LIMIT and not (placed.has("ServerSideApply") or placed.has("Replace")):
            yield (
                "crd-size",
                _where(placed),
                f"{size:,} bytes of JSON: client-side apply stores it in the "
                f"last-applied-configuration annotation, limited to {ANNOTATION_LIMIT:,} bytes; "
                "set ServerSideApply=true on the Application or the object",
            )


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec
    if obj.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return (spec.get("template") or {}).get("spec") or {}


def presync_hooks(sync: Sync) -> Iterator[Issue]:
    namespaces = [p for p in sync.placed if p.manifest.kind == "Namespace"]
    accounts = [p for p in sync.placed if p.manifest.kind == "ServiceAccount"]
    homeless: dict[tuple[str, str], tuple[str, list[Placed]]] = {}
    for hook in (p for p in sync.placed if p.phase == "PreSync"):
        problem = _namespace_problem(hook, namespaces)
        if problem:
            homeless.setdefault((hook.app.name, hook.namespace), (problem, []))[1].append(hook)
        pod = _pod_spec(hook.manifest.obj)
        account = str(pod.get("serviceAccountName") or pod.get("serviceAccount") or "")
        if account and account != "default":
            made = [
                a for a in accounts if a.manifest.name == account and a.namespace == hook.namespace
            ]
            if made and not any(_before(a, hook) for a in made):
                first = min(made, key=lambda a: a.order)
                yield (
                    "presync-service-account",
                    _where(hook),
                    f"the PreSync hook runs as ServiceAccount {hook.namespace}/{account}, which "
                    f"{_who(first, hook)} creates only in {first.phase}: the hook's pods are "
                    "refused",
                )
    for (app, namespace), (problem, hooks) in sorted(homeless.items()):
        shown = ", ".join(h.manifest.ref for h in hooks[:4])
        more = f" and {len(hooks) - 4} more" if len(hooks) > 4 else ""
        yield (
            "presync-namespace",
            f"Application {app} (wave {hooks[0].app.wave})",
            f"{len(hooks)} PreSync hook object(s) go into namespace {namespace}, {problem}: "
            f"{shown}{more}",
        )


def _before(made: Placed, hook: Placed) -> bool:
    """Whether `made` exists when `hook` runs."""
    if made.app is not hook.app:
        return made.app.wave < hook.app.wave
    return made.order <= hook.order


def _who(made: Placed, hook: Placed) -> str:
    return "the same Application" if made.app is hook.app else f"Application {made.app.name}"


def _namespace_problem(hook: Placed, namespaces: list[Placed]) -> str | None:
    """Why the hook's namespace does not exist when the hook runs, or None if it does."""
    namespace = hook.namespace
    if not namespace or namespace in PREEXISTING_NAMESPACES:
        return None
    app = hook.app
    if namespace == app.namespace and "CreateNamespace=true" in app.options:
        return None  # Argo CD creates the destination namespace before PreSync
    made = [n for n in namespaces if n.manifest.name == namespace]
    if any(_before(n, hook) for n in made):
        return None
    if made:
        first = min(made, key=lambda n: n.order)
        when = f"only in {first.phase}" if first.app is app else f"in wave {first.app.wave}"
        return f"which {_who(first, hook)} creates {when}: the hooks fail and the sync stops"
    return (
        "which nothing creates before them (no Namespace object, no CreateNamespace=true): "
        "the hooks fail and the sync stops"
    )


def duplicates(sync: Sync) -> Iterator[Issue]:
    seen: dict[tuple[str, str, str, str], list[Placed]] = {}
    for placed in sync.placed:
        key = (*_key(placed), placed.namespace, placed.manifest.name)
        seen.setdefault(key, []).append(placed)
    for (group, kind, namespace, name), objects in sorted(seen.items()):
        if len(objects) < 2:
            continue
        target = f"{namespace}/{name}" if namespace else name
        apps = sorted({o.app.name for o in objects})
        yield (
            "duplicate",
            "; ".join(o.manifest.ref for o in objects),
            f"{len(objects)} objects are {kind} {target} ({group or 'core'}), from "
            f"{', '.join(apps)}: they overwrite each other"
            + (" and the Applications fight over it" if len(apps) > 1 else ""),
        )


def crd_fields(sync: Sync, version: Version | None, shown: str) -> Iterator[Issue]:
    if version is None:
        return
    for crd in sync.tree.of_kind("CustomResourceDefinition"):
        for served in (crd.obj.get("spec") or {}).get("versions") or []:
            for name, (since, why) in CRD_FIELDS_SINCE.items():
                if name in served and version < since:
                    yield (
                        "crd-field-version",
                        crd.ref,
                        f"version {served.get('name')} sets {name}, which Kubernetes {shown} "
                        f"does not accept: {why}",
                    )
