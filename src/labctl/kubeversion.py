"""Kubernetes versions and Helm's `kubeVersion` constraints, in one place.

`labctl validate` (is every pinned chart installable on the tree's Kubernetes version?) and
`labctl upgrade plan` (is it still installable after each minor step?) ask the same question;
both answer it here.

A chart's `kubeVersion` is a Masterminds/semver v3 constraint, as Helm evaluates it
(helm.sh/docs/topics/charts, "The kubeVersion field"): comparisons `= != > >= < <=`, tilde
`~1.2` (>= 1.2.0, < 1.3.0), caret `^1.2` (>= 1.2.0, < 2.0.0), wildcards `1.2.x` / `1.*`, hyphen
ranges `1.25 - 1.30`, conditions joined by commas or spaces (and) and `||` (or). The `-0`
suffix charts write (`>= 1.25.0-0`) only lets pre-release builds such as `v1.29.3-gke.100`
match; we compare the release part of the cluster's version, which is what the suffix is for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering


class VersionError(ValueError):
    """A version or constraint that cannot be read."""


_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:[-+].*)?$")


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int = 0

    @classmethod
    def parse(cls, text: str) -> Version:
        """`v1.28.15`, `1.28`, `1.29.3-gke.100` (the pre-release part is ignored)."""
        match = _VERSION.match(text.strip())
        if not match or any(p in ("x", "X", "*") for p in match.groups() if p):
            raise VersionError(f"not a Kubernetes version: {text!r} (expected e.g. v1.28.15)")
        major, minor, patch = (int(p) if p else 0 for p in match.groups())
        return cls(major, minor, patch)

    @property
    def minor_name(self) -> str:
        return f"{self.major}.{self.minor}"

    def next_minor(self) -> Version:
        return Version(self.major, self.minor + 1, 0)

    def minors_to(self, other: Version) -> int:
        """How many minor releases `other` is ahead of this one (negative when behind)."""
        if other.major != self.major:
            raise VersionError(f"{self} and {other} differ in major version")
        return other.minor - self.minor

    def _key(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


# --- constraints -------------------------------------------------------------------------------

_TERM = re.compile(r"(!=|>=|<=|=>|=<|==|=|>|<|~>|~|\^)?\s*(v?[0-9xX*][0-9A-Za-z.*+-]*)")


def satisfies(version: Version | str, constraint: str) -> bool:
    """Whether `version` meets a Helm `kubeVersion` constraint (an empty one allows all)."""
    target = version if isinstance(version, Version) else Version.parse(version)
    text = constraint.strip()
    if not text:
        return True
    return any(_all_of(target, part) for part in text.split("||"))


def allows_minor(constraint: str, minor: Version) -> bool:
    """Whether every patch release of `minor`'s minor version meets `constraint`.

    Checked at the first and a late patch, so `< 1.30.5` does not count as allowing 1.30.
    """
    first, late = Version(minor.major, minor.minor, 0), Version(minor.major, minor.minor, 99)
    return satisfies(first, constraint) and satisfies(late, constraint)


def check_constraint(constraint: str) -> None:
    """Raise `VersionError` if `constraint` cannot be read."""
    satisfies(Version(1, 0, 0), constraint)


def _all_of(target: Version, text: str) -> bool:
    text = re.sub(r"\s+-\s+", " - ", text.strip())
    hyphen = re.fullmatch(r"(\S+) - (\S+)", text)
    if hyphen:
        low, high = hyphen.groups()
        return _compare(target, ">=", low) and _upper_inclusive(target, high)
    position, results = 0, []
    text = text.replace(",", " ")
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        match = _TERM.match(text, position)
        if not match:
            raise VersionError(f"cannot read the constraint {text!r}")
        results.append(_compare(target, match.group(1) or "=", match.group(2)))
        position = match.end()
    if not results:
        raise VersionError(f"empty constraint {text!r}")
    return all(results)


def _parts(text: str) -> tuple[list[int], int]:
    """The numeric parts of a constraint's version and how many were given (wildcards stop it)."""
    match = _VERSION.match(text)
    if not match:
        raise VersionError(f"not a version in a constraint: {text!r}")
    given: list[int] = []
    for part in match.groups():
        if part is None or part in ("x", "X", "*"):
            break
        given.append(int(part))
    return given + [0] * (3 - len(given)), len(given)


def _compare(target: Version, op: str, text: str) -> bool:
    numbers, given = _parts(text)
    bound = Version(*numbers)
    if given < 3 and op in ("=", "==", "!="):
        # `= 1.28` and `1.28.x` mean the whole 1.28 line.
        inside = _in_prefix(target, numbers, given)
        return inside if op != "!=" else not inside
    if op in ("=", "=="):
        return target == bound
    if op == "!=":
        return target != bound
    if op in (">=", "=>"):
        return target >= bound
    if op in ("<=", "=<"):
        return target < _bump(numbers, given) if given < 3 else target <= bound
    if op == ">":
        return target >= _bump(numbers, given) if given < 3 else target > bound
    if op == "<":
        return target < bound
    if op in ("~", "~>"):
        upper = _bump(numbers, 2 if given >= 2 else 1)
        return bound <= target < upper
    if op == "^":
        first = next((i for i, n in enumerate(numbers[:given]) if n != 0), max(given - 1, 0))
        return bound <= target < _bump(numbers, first + 1)
    raise VersionError(f"unknown operator {op!r}")


def _upper_inclusive(target: Version, text: str) -> bool:
    numbers, given = _parts(text)
    return target < _bump(numbers, given) if given < 3 else target <= Version(*numbers)


def _in_prefix(target: Version, numbers: list[int], given: int) -> bool:
    return list(target._key())[:given] == numbers[:given]


def _bump(numbers: list[int], given: int) -> Version:
    """The first version past the prefix of length `given` (1.28 -> 1.29.0, 1 -> 2.0.0)."""
    if given <= 0:
        return Version(10**6, 0, 0)
    head = numbers[:given]
    head[-1] += 1
    head += [0] * (3 - len(head))
    return Version(*head)
