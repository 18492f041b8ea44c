"""Helm kubeVersion constraints (Masterminds semver) against a cluster version."""

from __future__ import annotations

import pytest

from labctl.validate.charts.kubeversion import parse_version, satisfies


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        (">= 1.30.0-0", "1.30.0", True),
        (">= 1.30.0-0", "1.29.9", False),
        (">=1.23.0-0", "1.34.2", True),
        (">= 1.19.0-0 < 1.35.0-0", "1.34.9", True),
        (">= 1.19.0-0, < 1.35.0-0", "1.35.0", False),
        ("<1.20 || >=1.30", "1.31.0", True),
        ("<1.20 || >=1.30", "1.25.0", False),
        ("~1.28.0", "1.28.7", True),
        ("~1.28.0", "1.29.0", False),
        ("^1.2", "1.34.0", True),
        ("1.28.x", "1.28.3", True),
        ("1.28.x", "1.29.0", False),
        ("> 1.28", "1.28.5", False),
        ("> 1.28", "1.29.0", True),
        ("<= 1.28", "1.28.9", True),
        ("!= 1.28.1", "1.28.1", False),
        ("*", "1.10.0", True),
    ],
)
def test_constraints(constraint: str, version: str, expected: bool) -> None:
    parsed = parse_version(version)
    assert parsed is not None
    assert satisfies(constraint, parsed) is expected


def test_an_unreadable_constraint_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot read kubeVersion constraint"):
        satisfies(">= banana", (1, 30, 0))


def test_versions() -> None:
    assert parse_version("v1.34.2") == (1, 34, 2)
    assert parse_version("1.28") == (1, 28, 0)
    assert parse_version("banana") is None
