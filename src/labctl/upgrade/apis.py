"""Who still uses an API a step removes: manifests in the tree, and writers of live objects.

A persisted object survives the removal (the server converts it), so what breaks is whoever
writes with the old version: a tree manifest (Argo CD fails to sync it), a chart's template,
or another client. Live objects are judged by the versions their writers used
(`managedFields[].apiVersion`, the last-applied annotation); an object Argo CD manages is
pointed at its tree file, or at its Application when a chart renders it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from labctl.cluster.snapshot import Snapshot
from labctl.upgrade.facts import CRDS, SELF_MANAGERS, families
from labctl.upgrade.removed_apis import RemovedApi, find

Obj = dict[str, Any]

ARGO_INSTANCE = "app.kubernetes.io/instance"
ARGO_TRACKING = "argocd.argoproj.io/tracking-id"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


@dataclass(frozen=True)
class TreeObject:
    path: str  # relative to the tree root
    obj: Obj

    @property
    def key(self) -> tuple[str, str, str]:
        meta = self.obj.get("metadata") or {}
        return (str(self.obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))


@dataclass(frozen=True)
class ApiUse:
    """One use of a removed API, and what to change."""

    api: RemovedApi
    kind: str
    object: str  # Kind namespace/name
    source: str  # "tree FILE", "live (written by MANAGER)", ...
    fix: str
    # Only an old record: the tree already writes a newer version, Argo CD's sync rewrites it.
    stale: bool = False


def tree_uses(tree: Iterable[TreeObject]) -> list[ApiUse]:
    uses = []
    for item in tree:
        kind = str(item.obj.get("kind"))
        row = find(str(item.obj.get("apiVersion")), kind)
        if row is None:
            continue
        uses.append(
            ApiUse(
                row,
                kind,
                _ref(item.obj),
                f"tree {item.path}",
                f"change apiVersion to {row.replacement} in {item.path}",
            )
        )
    return uses


def live_uses(snap: Snapshot, tree: Iterable[TreeObject]) -> tuple[list[ApiUse], list[str]]:
    """Uses by live objects' writers, and the kinds that could not be looked at (and why)."""
    in_tree = {item.key: item for item in tree}
    uses: list[ApiUse] = []
    missing: list[str] = []
    for resource, (_group, kind, _versions) in families().items():
        objects = snap.items(resource)
        if objects is None:
            if resource not in snap.not_served:
                missing.append(resource)
            continue
        for obj in objects:
            obj.setdefault("kind", kind)
            own = find(str(obj.get("apiVersion")), kind)
            if own is not None and own.component:
                # The kind itself goes away with the component's release, whoever wrote it.
                uses.append(_live_use(own, kind, obj, "its controller's users", in_tree))
                continue
            for version, writer in sorted(_writers(obj)):
                row = find(version, kind)
                if row is not None:
                    uses.append(_live_use(row, kind, obj, writer, in_tree))
    uses += _stored_crd_uses(snap)
    return uses, missing


def _writers(obj: Obj) -> set[tuple[str, str]]:
    meta = obj.get("metadata") or {}
    found = set()
    for entry in meta.get("managedFields") or []:
        manager = str(entry.get("manager") or "?")
        if entry.get("apiVersion") and not manager.startswith(SELF_MANAGERS):
            found.add((str(entry["apiVersion"]), manager))
    applied = (meta.get("annotations") or {}).get(LAST_APPLIED)
    if applied:
        try:
            version = json.loads(applied).get("apiVersion")
        except (ValueError, AttributeError):
            version = None
        if version:
            found.add((str(version), "kubectl apply"))
    return found


def _live_use(
    row: RemovedApi, kind: str, obj: Obj, writer: str, in_tree: dict[tuple[str, str, str], Any]
) -> ApiUse:
    meta = obj.get("metadata") or {}
    key = (kind, str(meta.get("namespace") or ""), str(meta.get("name")))
    app = _argocd_app(obj)
    source = f"live, written by {writer}"
    stale = False
    if app is not None:
        tree_item = in_tree.get(key)
        if tree_item is not None:
            fix = f"Argo CD app {app}: change apiVersion to {row.replacement} in {tree_item.path}"
            # The tree moved past this removal (its own version may go later: found then).
            if str(tree_item.obj.get("apiVersion")) != row.api_version:
                stale = True
                fix = (
                    f"Argo CD app {app}: {tree_item.path} already uses "
                    f"{tree_item.obj.get('apiVersion')}; sync it so the object is rewritten"
                )
        else:
            fix = (
                f"Argo CD app {app} renders it from a chart: bump it to one using {row.replacement}"
            )
    else:
        fix = f"update {writer} to write {row.replacement} (kubectl-convert --output-version)"
    return ApiUse(row, kind, _ref(obj), source, fix, stale)


def _stored_crd_uses(snap: Snapshot) -> list[ApiUse]:
    """CRDs of removed component APIs that still hold objects (status.storedVersions)."""
    uses = []
    for crd in snap.items(CRDS) or []:
        spec = crd.get("spec") or {}
        kind = str((spec.get("names") or {}).get("kind"))
        for version in (crd.get("status") or {}).get("storedVersions") or []:
            row = find(f"{spec.get('group')}/{version}", kind)
            if row is not None and row.component:
                name = (crd.get("metadata") or {}).get("name")
                uses.append(
                    ApiUse(
                        row,
                        kind,
                        f"CustomResourceDefinition {name}",
                        f"live, stored at {version} (status.storedVersions)",
                        f"move every {kind} to {row.replacement}, then delete the CRD",
                    )
                )
    return uses


def _argocd_app(obj: Obj) -> str | None:
    meta = obj.get("metadata") or {}
    tracking = (meta.get("annotations") or {}).get(ARGO_TRACKING)
    if tracking:
        return str(tracking).split(":", 1)[0]
    return (meta.get("labels") or {}).get(ARGO_INSTANCE)


def _ref(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')} {where}{meta.get('name')}"
