"""Cross-reference checks over the whole tree (see checks.py)."""

from __future__ import annotations

from labctl.validate.model import Result
from labctl.validate.tree import Tree, helm_sources
from labctl.validate.xref.checks import CHECKS

NAME = "cross-reference"
# The CNI chart the tree renders with `cluster.cni: calico`.
CNI_CHART = "tigera-operator"


def validate(tree: Tree) -> Result:
    result = Result(NAME, checked=len(tree.manifests))
    for check in CHECKS:
        for check_id, where, message in check(tree):
            result.add(message, where, check_id)
    warning = cni_warning(tree)
    if warning:
        result.notes.append(warning)
    return result


def cni_warning(tree: Tree) -> str | None:
    """With `cluster.cni: none` the tree brings no CNI: its policies need one that enforces."""
    policies = sum(1 for _ in tree.of_kind("NetworkPolicy"))
    charts = {s.chart for app in tree.of_kind("Application") for s in helm_sources(app)}
    if policies and CNI_CHART not in charts:
        return (
            f"warning: the tree brings no CNI (cluster.cni: none); its {policies} "
            "NetworkPolicies are enforced only if the CNI you installed enforces them"
        )
    return None
