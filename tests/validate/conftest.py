"""Helpers for the validate tests: trees from fixture files or from objects."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from labctl.validate.tree import Tree, load_tree

FIXTURES = Path(__file__).parent / "fixtures"


def tree_of(tmp_path: Path, *fixtures: str) -> Tree:
    """A tree holding copies of these fixture files (paths relative to fixtures/)."""
    for fixture in fixtures:
        shutil.copy(FIXTURES / fixture, tmp_path / Path(fixture).name)
    return load_tree(tmp_path)


def write_tree(root: Path, objects: list[dict[str, Any]], name: str = "tree.yaml") -> Tree:
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(yaml.safe_dump_all(objects, sort_keys=False))
    return load_tree(root)
