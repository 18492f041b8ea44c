"""Kubernetes schema validation of core objects, offline, with kubernetes-validate's schemas.

kubernetes-validate ships strict JSON schemas for Kubernetes 1.25 to 1.37 (unknown fields are
errors). We pick the newest shipped version not newer than the configured one (or the oldest
shipped, with a note, for older clusters) and build one validator per kind, since the library's
own `validate()` re-reads its 1.4 MB definitions file for every object.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from labctl.validate import crdschema
from labctl.validate.model import Result, ToolMissing
from labctl.validate.tree import Manifest, Tree

NAME = "kubernetes-schema"
# Files in the tree that are configuration for tools, not objects applied to the cluster.
NOT_CLUSTER_OBJECTS = (
    "labctl.platform-lab.dev",
    "kubeadm.k8s.io",
    "kubelet.config.k8s.io",
    "kubeproxy.config.k8s.io",
    "apiserver.config.k8s.io",  # EncryptionConfiguration: a file the API server reads
)


def _library() -> Any:
    try:
        import kubernetes_validate.utils as library
    except ImportError as exc:
        raise ToolMissing("kubernetes-validate", "platform-lab[validate] extra (Python)") from exc
    return library


def shipped_versions() -> list[str]:
    """Major.minor versions kubernetes-validate has schemas for, oldest first."""
    library = _library()
    seen = dict.fromkeys(library.major_minor(v) for v in library.all_versions())
    return sorted(seen, key=lambda v: tuple(int(part) for part in v.split(".")))


def pick_version(wanted: str | None) -> tuple[str, str | None]:
    """The schema version to use for `wanted` (e.g. "v1.33.2"), and a note if it differs."""
    versions = shipped_versions()
    if not wanted:
        return versions[-1], f"no Kubernetes version configured; used {versions[-1]}"
    match = re.match(r"^v?(\d+)\.(\d+)", wanted)
    if not match:
        return versions[-1], f"cannot read Kubernetes version {wanted!r}; used {versions[-1]}"
    key = (int(match[1]), int(match[2]))
    older = [v for v in versions if tuple(int(p) for p in v.split(".")) <= key]
    if not older:
        return versions[0], f"no schemas for {wanted}; used the oldest shipped, {versions[0]}"
    chosen = older[-1]
    note = None if chosen == f"{key[0]}.{key[1]}" else f"no schemas for {wanted}; used {chosen}"
    return chosen, note


@cache
def _definitions(version: str) -> Any:
    library = _library()
    return library.schema_contents(
        f"kubernetes-json-schema/v{version}.0-local-strict/_definitions.json", version
    )


@cache
def _validator(version: str, kind: str, api_version: str) -> Any | None:
    import jsonschema  # type: ignore[import-untyped]
    from referencing import Registry, Resource

    library = _library()
    # rbac.authorization.k8s.io/v1 -> rbac-v1, as the library names its files.
    suffix = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    name = f"kubernetes-json-schema/v{version}.0-local-strict/{kind.lower()}-{suffix}.json"
    try:
        schema = library.schema_contents(name, version)
    except FileNotFoundError:
        return None
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(_definitions(version)) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


def kubernetes_version(tree: Tree) -> str | None:
    """The version the tree was rendered for: a kubeadm ClusterConfiguration's, if present."""
    for manifest in tree.of_kind("ClusterConfiguration"):
        version = manifest.obj.get("kubernetesVersion")
        if version:
            return str(version)
    return None


def validate(tree: Tree, wanted_version: str | None = None) -> Result:
    result = Result(NAME)
    version, note = pick_version(wanted_version or kubernetes_version(tree))
    result.notes.append(f"schemas of Kubernetes {version} (kubernetes-validate, strict)")
    if note:
        result.notes.append(note)
    if not tree.manifests and not tree.errors:
        result.add(f"no Kubernetes objects in any *.yaml under {tree.root}", check="empty-tree")
    for error in tree.errors:
        result.add(error, check="not-an-object")
    skipped: set[str] = set()
    defined = crdschema.in_tree(tree)
    for manifest in tree.manifests:
        if crdschema.covers(manifest, defined):
            continue
        if manifest.group in NOT_CLUSTER_OBJECTS:
            skipped.add(f"{manifest.api_version} {manifest.kind}")
            continue
        result.checked += 1
        _check(result, manifest, version)
    if skipped:
        result.notes.append("not cluster objects, not checked: " + ", ".join(sorted(skipped)))
    return result


def _check(result: Result, manifest: Manifest, version: str) -> None:
    validator = _validator(version, manifest.kind, manifest.api_version)
    if validator is None:
        result.add(
            f"no schema for {manifest.api_version} {manifest.kind} in Kubernetes {version} "
            "and no CRD carried for it (misspelt kind or apiVersion, or a removed API?)",
            manifest.ref,
            "unknown-kind",
        )
        return
    errors = sorted(validator.iter_errors(manifest.obj), key=lambda e: list(e.absolute_path))
    for error in errors:
        path = ".".join(str(part) for part in error.absolute_path) or "(root)"
        result.add(f"{path}: {_short(error)}", manifest.ref, "schema")


def _short(error: Any) -> str:
    message = str(error.message)
    # The strict schemas put `null` beside every type; "is not of type 'string', 'null'" reads
    # worse than the plain type.
    return message.replace(", 'null'", "")[:300]
