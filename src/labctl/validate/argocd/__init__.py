"""What Argo CD does with the tree on a fresh cluster: sync order, projects, hooks, sizes.

placement.py says where each object lands (Application, wave, phase, namespace); checks.py
holds the checks.
"""

from __future__ import annotations

from labctl.validate.argocd import checks
from labctl.validate.argocd.placement import Sync
from labctl.validate.charts.kubeversion import parse_version
from labctl.validate.model import Result
from labctl.validate.tree import Tree

NAME = "argocd-sync"


def validate(tree: Tree, kube_version: str | None, charts_rendered: bool) -> Result:
    sync = Sync(tree)
    result = Result(NAME, checked=len(sync.placed))
    version = parse_version(kube_version or "")
    found = [
        *checks.crd_before_use(sync, charts_rendered, result.notes),
        *checks.project_permissions(sync),
        *checks.crd_size(sync),
        *checks.presync_hooks(sync),
        *checks.duplicates(sync),
        *checks.crd_fields(sync, version, kube_version or "?"),
    ]
    for check_id, where, message in found:
        result.add(message, where, check_id)
    if version is None:
        result.notes.append("no Kubernetes version known: CRD fields not checked against it")
    return result
