"""The longest gap between two runs of a cron schedule, for "older than twice its interval".

Velero schedules use standard 5-field cron (and `@every <duration>`, `@daily` and friends).
The answer is conservative: the largest gap the schedule can leave, from its coarsest
restricted field (e.g. `0 3 * * *` -> 24h, `0 */6 * * *` -> 6h, `0 2 * * 0` -> 7 days).
"""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# (field size, length of one step) for minute, hour, day of month, month, day of week.
_FIELDS = (
    (60, timedelta(minutes=1)),
    (24, timedelta(hours=1)),
    (31, timedelta(days=1)),
    (12, timedelta(days=31)),
    (7, timedelta(days=1)),
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms)")


def _values(field: str, size: int, offset: int) -> list[int] | None:
    """The values a field allows, or None for '*'."""
    if field in ("*", "?"):
        return None
    found: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base in ("*", "?"):
            low, high = offset, offset + size - 1
        elif "-" in base:
            low, high = (int(x) for x in base.split("-", 1))
        else:
            low = int(base)
            high = offset + size - 1 if step_text else low
        found.update(range(low, high + 1, step))
    return sorted(found)


def _largest_gap(values: list[int], size: int) -> int:
    cyclic = [*values, values[0] + size]
    return max(b - a for a, b in itertools.pairwise(cyclic))


def interval(expression: str) -> timedelta | None:
    """The largest gap between runs, or None if the expression is not understood."""
    expression = _MACROS.get(expression.strip(), expression.strip())
    if expression.startswith("@every"):
        total = sum(
            float(n) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
            for n, unit in _DURATION.findall(expression)
        )
        return timedelta(seconds=total) if total else None
    fields = expression.split()
    if len(fields) != 5:
        return None
    try:
        allowed = [
            _values(f, size, 0 if i in (0, 1, 4) else 1)
            for i, (f, (size, _)) in enumerate(zip(fields, _FIELDS, strict=True))
        ]
    except ValueError:
        return None
    # The coarsest restricted field decides; day-of-week and day-of-month weigh as days.
    for index in (3, 4, 2, 1, 0):
        values = allowed[index]
        if values:
            size, step = _FIELDS[index]
            return step * _largest_gap(values, size)
    return timedelta(minutes=1)
