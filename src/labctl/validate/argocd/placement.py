"""Where Argo CD puts each object of the tree: its Application, wave, phase and namespace.

The root Application syncs the Applications wave by wave (`argocd.argoproj.io/sync-wave` on
each Application) and waits for each wave to be healthy before the next. Within an
Application, objects go PreSync, Sync, PostSync; Helm hooks map onto those phases as Argo CD
documents (pre-install/pre-upgrade -> PreSync, post-install/post-upgrade -> PostSync; the
other Helm hooks are not supported and Argo CD does not create them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath

from labctl.validate import crdschema
from labctl.validate.tree import Manifest, Tree

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
ARGO_HOOK = "argocd.argoproj.io/hook"
HELM_HOOK = "helm.sh/hook"
HELM_HOOK_WEIGHT = "helm.sh/hook-weight"
PHASES = ("PreSync", "Sync", "PostSync")
HELM_PHASES = {
    "pre-install": "PreSync",
    "pre-upgrade": "PreSync",
    "post-install": "PostSync",
    "post-upgrade": "PostSync",
    "crd-install": "Sync",  # Helm 2's; Argo CD handles it as an ordinary CRD
}
# Cluster-scoped kinds of Kubernetes itself (custom kinds take their scope from their CRD).
CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "DeviceClass",
        "FlowSchema",
        "IngressClass",
        "IPAddress",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "ResourceSlice",
        "RuntimeClass",
        "ServiceCIDR",
        "StorageClass",
        "StorageVersionMigration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
        "VolumeAttributesClass",
    }
)
# Namespaces a kubeadm cluster has before anything syncs (argocd: bootstrap installs it).
PREEXISTING_NAMESPACES = frozenset(
    {"default", "kube-system", "kube-public", "kube-node-lease", "argocd"}
)


def _int(value: object, default: int = 0) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


def _options(text: object) -> frozenset[str]:
    return frozenset(part.strip() for part in str(text or "").split(",") if part.strip())


@dataclass(frozen=True)
class App:
    """One Argo CD Application of the tree."""

    manifest: Manifest
    folders: tuple[str, ...]  # tree folders of its directory sources
    recurse: bool
    unseen: tuple[str, ...]  # sources validate cannot read: another repository's folder

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def spec(self) -> dict[str, object]:
        return self.manifest.obj.get("spec") or {}

    @property
    def wave(self) -> int:
        annotations = self.manifest.obj.get("metadata", {}).get("annotations") or {}
        return _int(annotations.get(SYNC_WAVE, 0))

    @property
    def project(self) -> str:
        return str(self.spec.get("project") or "default")

    @property
    def namespace(self) -> str:
        destination = self.spec.get("destination") or {}
        return str(destination.get("namespace") or "") if isinstance(destination, dict) else ""

    @property
    def options(self) -> frozenset[str]:
        policy = self.spec.get("syncPolicy") or {}
        listed = policy.get("syncOptions") or [] if isinstance(policy, dict) else []
        return frozenset(str(option) for option in listed)

    def owns(self, manifest: Manifest) -> bool:
        if manifest.app:
            return manifest.app == self.name
        folder = str(PurePosixPath(manifest.path).parent)
        if self.recurse:
            return any(folder == f or folder.startswith(f + "/") for f in self.folders)
        return folder in self.folders


@dataclass(frozen=True)
class Placed:
    """An object as Argo CD will sync it."""

    manifest: Manifest
    app: App
    phase: str  # PreSync, Sync or PostSync
    wave: int  # the object's own wave within its phase
    namespace: str  # "" for cluster-scoped objects; the destination's when the object has none
    options: frozenset[str]  # the Application's sync options and the object's own

    def has(self, option: str) -> bool:
        return f"{option}=true" in self.options

    @property
    def order(self) -> tuple[int, int, int]:
        """When it is applied: the Application's wave, then phase, then its own wave."""
        return (self.app.wave, PHASES.index(self.phase), self.wave)

    @property
    def hook(self) -> bool:
        annotations = self.manifest.obj.get("metadata", {}).get("annotations") or {}
        return ARGO_HOOK in annotations or HELM_HOOK in annotations


def _folder(tree: Tree, path: str) -> str | None:
    """The tree folder a repository path names: the longest tail of it that exists."""
    parts = PurePosixPath(path).parts
    for start in range(len(parts)):
        tail = PurePosixPath(*parts[start:]) if parts[start:] else PurePosixPath(".")
        if (tree.root / tail).is_dir():
            return str(tail)
    return "." if path in ("", ".") else None


def applications(tree: Tree) -> list[App]:
    apps = []
    for manifest in tree.of_kind("Application"):
        spec = manifest.obj.get("spec") or {}
        sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
        folders, unseen, recurse = [], [], False
        for source in sources:
            if source.get("chart") or source.get("helm") or "path" not in source:
                continue  # a Helm chart: rendered by --charts
            folder = _folder(tree, str(source["path"]))
            if folder is None:
                unseen.append(f"{source.get('repoURL', '')} {source['path']}".strip())
                continue
            folders.append(folder)
            recurse = recurse or (source.get("directory") or {}).get("recurse") is True
        apps.append(App(manifest, tuple(folders), recurse, tuple(unseen)))
    return apps


class Sync:
    """Every object of the tree that an Application of the tree syncs, placed."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.apps = applications(tree)
        self.placed = list(self._place())

    @cached_property
    def crds(self) -> dict[tuple[str, str], list[Placed]]:
        """(group, kind) -> the CustomResourceDefinitions that define it."""
        found: dict[tuple[str, str], list[Placed]] = {}
        for placed in self.placed:
            if placed.manifest.kind == "CustomResourceDefinition":
                spec = placed.manifest.obj.get("spec") or {}
                key = (str(spec.get("group", "")), str((spec.get("names") or {}).get("kind", "")))
                found.setdefault(key, []).append(placed)
        return found

    def _place(self) -> Iterator[Placed]:
        scopes = _scopes(self.tree)
        for manifest in self.tree.manifests:
            app = next((a for a in self.apps if a.owns(manifest)), None)
            if app is None:
                continue
            phase, wave = _phase(manifest)
            if phase is None:
                continue
            namespaced = scopes.get((manifest.group, manifest.kind)) != "Cluster" and (
                manifest.kind not in CLUSTER_SCOPED
            )
            namespace = (manifest.namespace or app.namespace) if namespaced else ""
            annotations = manifest.obj.get("metadata", {}).get("annotations") or {}
            options = app.options | _options(annotations.get(SYNC_OPTIONS))
            yield Placed(manifest, app, phase, wave, namespace, options)


def _phase(manifest: Manifest) -> tuple[str | None, int]:
    annotations = manifest.obj.get("metadata", {}).get("annotations") or {}
    wave = _int(annotations.get(SYNC_WAVE, annotations.get(HELM_HOOK_WEIGHT, 0)))
    if ARGO_HOOK in annotations:
        hooks = [h.strip() for h in str(annotations[ARGO_HOOK]).split(",")]
        phase = next((p for p in PHASES if p in hooks), None)
        return phase, wave
    if HELM_HOOK in annotations:
        hooks = [h.strip() for h in str(annotations[HELM_HOOK]).split(",")]
        phases = [HELM_PHASES[h] for h in hooks if h in HELM_PHASES]
        return (min(phases, key=PHASES.index) if phases else None), wave
    return "Sync", wave


def _scopes(tree: Tree) -> dict[tuple[str, str], str]:
    """(group, kind) -> "Namespaced" or "Cluster", from the carried CRDs and the tree's."""
    scopes = dict(crdschema.scopes())
    for crd in tree.of_kind("CustomResourceDefinition"):
        spec = crd.obj.get("spec") or {}
        kind = str((spec.get("names") or {}).get("kind", ""))
        scopes[(str(spec.get("group", "")), kind)] = str(spec.get("scope", "Namespaced"))
    return scopes
