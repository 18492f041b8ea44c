"""Cross-reference checks over the whole tree (see checks.py)."""

from __future__ import annotations

from labctl.validate.model import Result
from labctl.validate.tree import Tree
from labctl.validate.xref.checks import CHECKS

NAME = "cross-reference"


def validate(tree: Tree) -> Result:
    result = Result(NAME, checked=len(tree.manifests))
    for check in CHECKS:
        for check_id, where, message in check(tree):
            result.add(message, where, check_id)
    return result
