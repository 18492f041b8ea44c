"""What runs pods in a rendered tree: the pod owners, their labels, replicas and images."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from labctl.validate.tree import Manifest, Tree

# kind -> where its pod template is
POD_TEMPLATE_KINDS = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
SCALABLE = ("Deployment", "StatefulSet", "ReplicaSet")
CNPG_GROUP = "postgresql.cnpg.io"


@dataclass(frozen=True)
class Workload:
    manifest: Manifest
    pod_labels: dict[str, str]
    replicas: int | None  # None: not a fixed count (DaemonSet, Job)
    images: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.manifest.kind

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def namespace(self) -> str:
        return self.manifest.namespace


def _dig(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _images(pod_spec: dict[str, Any]) -> list[str]:
    containers = [
        *(pod_spec.get("initContainers") or []),
        *(pod_spec.get("containers") or []),
        *(pod_spec.get("ephemeralContainers") or []),
    ]
    return [str(c.get("image", "")) for c in containers]


def workloads(tree: Tree) -> Iterator[Workload]:
    for manifest in tree.manifests:
        path = POD_TEMPLATE_KINDS.get(manifest.kind)
        if path is not None:
            template = _dig(manifest.obj, path) or {}
            replicas = None
            if manifest.kind in SCALABLE:
                replicas = int((manifest.obj.get("spec") or {}).get("replicas", 1))
            yield Workload(
                manifest,
                dict(_dig(template, ("metadata", "labels")) or {}),
                replicas,
                _images(template.get("spec") or {}),
            )
        elif manifest.kind == "Pod":
            yield Workload(
                manifest,
                dict(_dig(manifest.obj, ("metadata", "labels")) or {}),
                1,
                _images(manifest.obj.get("spec") or {}),
            )
        elif manifest.kind == "Cluster" and manifest.group == CNPG_GROUP:
            spec = manifest.obj.get("spec") or {}
            image = spec.get("imageName")
            yield Workload(
                manifest,
                {"cnpg.io/cluster": manifest.name},
                int(spec.get("instances", 1)),
                [str(image)] if image else [],
            )


def matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels + matchExpressions) against a label set."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def service_matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """A Service's plain map selector."""
    return all(labels.get(key) == value for key, value in selector.items())
