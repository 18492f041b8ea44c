"""Cron schedules as Velero (and a Kubernetes CronJob) parse them: robfig/cron v3's standard
parser, so a schedule that passes here is one the controller accepts.

Five fields, minute hour day-of-month month day-of-week, each a list of `*`, `?`, `N`, `N-M`,
optionally `/STEP` (`N/STEP` runs from N to the field's maximum); months and weekdays also by
name (`jan`, `MON`); day-of-week is 0-6 with 0 Sunday (robfig refuses 7). Or one of the
descriptors `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`.
"""

from __future__ import annotations

from typing import NamedTuple


class _Field(NamedTuple):
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] stands for low + i


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field(
        "month",
        1,
        12,
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    ),
    _Field("day of week", 0, 6, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


def check_cron(value: str) -> str:
    """`value` if it is a valid schedule, else ValueError saying which field is wrong and why."""
    if value.startswith("@"):
        if value in DESCRIPTORS:
            return value
        known = ", ".join(DESCRIPTORS)
        raise ValueError(f"schedule {value!r}: unknown descriptor; use one of {known}")
    fields = value.split()
    if len(fields) != len(_FIELDS):
        raise ValueError(f"schedule {value!r} is not a 5-field cron expression, e.g. '0 2 * * *'")
    for text, field in zip(fields, _FIELDS, strict=True):
        for part in text.split(","):
            problem = _range_problem(part, field)
            if problem:
                raise ValueError(f"schedule {value!r}: {field.name} {problem}")
    return value


def _range_problem(part: str, field: _Field) -> str | None:
    span, slash, step = part.partition("/")
    if slash and not (step.isdigit() and int(step) > 0):
        return f"{part!r}: the step after '/' must be a whole number above 0"
    if span in ("*", "?"):
        return None
    low_text, dash, high_text = span.partition("-")
    low, high = _number(low_text, field), _number(high_text, field) if dash else None
    if low is None or (dash and high is None):
        return f"{part!r} is not a number{_names_hint(field)} ({field.low}-{field.high})"
    for number in (low, high):
        if number is not None and not field.low <= number <= field.high:
            sunday = " (0 is Sunday)" if field.names and field.names[0] == "sun" else ""
            return f"{number} is out of range {field.low}-{field.high}{sunday}"
    if high is not None and high < low:
        return f"{part!r}: the range ends before it starts"
    return None


def _number(text: str, field: _Field) -> int | None:
    if text.isdigit():
        return int(text)
    lowered = text.lower()
    return field.low + field.names.index(lowered) if lowered in field.names else None


def _names_hint(field: _Field) -> str:
    return f" or a name like {field.names[0]!r}" if field.names else ""
