"""Helm kubeVersion constraints as Masterminds/semver v3 reads them, on Kubernetes versions."""

from __future__ import annotations

import pytest

from labctl.kubeversion import Version, VersionError, allows_minor, satisfies


@pytest.mark.parametrize(
    ("version", "constraint", "expected"),
    [
        ("v1.28.15", ">= 1.25.0-0", True),
        ("1.24.9", ">=1.25.0-0", False),
        ("v1.29.3-gke.100", ">= 1.29.0-0", True),
        ("1.30.0", ">= 1.20.0-0 < 1.30.0-0", False),
        ("1.29.9", ">= 1.20.0-0, < 1.30.0-0", True),
        ("1.31.2", "< 1.25.0 || >= 1.31.0", True),
        ("1.28.0", "< 1.25.0 || >= 1.31.0", False),
        ("1.28.7", "~1.28.0", True),
        ("1.29.0", "~1.28.0", False),
        ("1.34.0", "^1.20", True),
        ("1.28.3", "1.28.x", True),
        ("1.29.0", "1.28.x", False),
        ("1.30.5", "1.28 - 1.30", True),
        ("1.31.0", "1.28 - 1.30", False),
        ("1.34.1", "", True),
        ("1.28.0", "!= 1.28.0", False),
    ],
)
def test_constraints(version: str, constraint: str, expected: bool) -> None:
    assert satisfies(version, constraint) is expected


def test_a_minor_is_allowed_only_when_all_its_patches_are() -> None:
    assert allows_minor(">= 1.25.0-0", Version(1, 30))
    assert not allows_minor("< 1.30.5", Version(1, 30))


@pytest.mark.parametrize("bad", ["banana", "1.x.y", ""])
def test_bad_versions_raise(bad: str) -> None:
    with pytest.raises(VersionError):
        Version.parse(bad)


def test_bad_constraints_raise() -> None:
    with pytest.raises(VersionError):
        satisfies("1.28.0", ">= one.two")
