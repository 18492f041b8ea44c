"""A chart's `kubeVersion` constraint against the cluster's Kubernetes version.

Helm reads the constraint with Masterminds semver: comparisons joined by spaces or commas
(all must hold), alternatives joined by `||`, `x`/`*` wildcards, `~` (same minor) and `^`
(same major). Charts write `-0` after a bound (`>= 1.30.0-0`) so that pre-release builds
of Kubernetes match; a cluster release version compares as the same bound, so we drop the
pre-release part.
"""

from __future__ import annotations

import re

Version = tuple[int, int, int]

_TERM = re.compile(
    r"(>=|<=|!=|=>|=<|>|<|=|~>?|\^)?\s*v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-[0-9A-Za-z.-]+)?"
)


def parse_version(text: str) -> Version | None:
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


def _bound(parts: tuple[str | None, ...]) -> tuple[Version, int]:
    """The version a term names and how many of its parts are given (the rest are wild)."""
    given = 0
    numbers = []
    for part in parts:
        if part is None or part in "xX*":
            break
        numbers.append(int(part))
        given += 1
    numbers += [0] * (3 - len(numbers))
    return (numbers[0], numbers[1], numbers[2]), given


def _next(version: Version, given: int) -> Version:
    """The first version past a partial one: 1.2 -> 1.3.0, 1 -> 2.0.0."""
    if given <= 1:
        return (version[0] + 1, 0, 0)
    if given == 2:
        return (version[0], version[1] + 1, 0)
    return (version[0], version[1], version[2] + 1)


def _term_holds(op: str, bound: Version, given: int, version: Version) -> bool:
    if given == 0:
        return True  # "*" or "x"
    upper = _next(bound, given)
    if op in ("", "="):
        return bound <= version < upper
    if op == "!=":
        return not bound <= version < upper
    if op == ">":
        return version >= upper
    if op in (">=", "=>"):
        return version >= bound
    if op == "<":
        return version < bound
    if op in ("<=", "=<"):
        return version < upper
    if op in ("~", "~>"):
        return bound <= version < _next(bound, min(given, 2) if given > 1 else 1)
    if op == "^":
        return bound <= version < (bound[0] + 1, 0, 0)
    raise ValueError(op)


def satisfies(constraint: str, version: Version) -> bool:
    """Whether `version` meets a Helm kubeVersion constraint; ValueError if unreadable."""
    for alternative in constraint.split("||"):
        terms = list(_TERM.finditer(alternative))
        rest = _TERM.sub("", alternative).replace(",", "").strip()
        if not terms or rest:
            raise ValueError(f"cannot read kubeVersion constraint {constraint!r}")
        if all(
            _term_holds(t[1] or "", *_bound((t[2], t[3], t[4])), version=version) for t in terms
        ):
            return True
    return False
