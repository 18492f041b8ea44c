"""Reading cluster.yaml: duplicate keys, cron schedules as Velero parses them, and a problem list
that stays readable when a generated file has thousands."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from labctl.config.cron import check_cron
from labctl.config.load import SHOWN, ConfigError, parse_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cluster.yaml"


def _example() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(EXAMPLE.read_text()))


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="c.yaml")
    return caught.value.problems


def test_a_duplicate_key_names_the_key_and_both_lines() -> None:
    text = "cluster:\n  name: one\n  name: two\n"
    assert _problems(text) == [
        "duplicate key 'name' at lines 2 and 3: YAML would silently keep the last one; remove one"
    ]


def test_duplicates_in_nested_mappings_and_lists_are_all_reported() -> None:
    text = (
        "vault:\n  replicas: 3\n  replicas: 5\n"
        "nodes:\n  - {name: a, ip: 192.0.2.1, name: b}\n"
        "tls: {acme_server: x}\ntls: {acme_server: y}\n"
    )
    problems = _problems(text)
    assert [p.split(":")[0] for p in problems] == [
        "duplicate key 'replicas' at lines 2 and 3",
        "duplicate key 'name' twice on line 5",
        "duplicate key 'tls' at lines 6 and 7",
    ]


def test_a_merge_key_then_an_override_is_not_a_duplicate() -> None:
    text = "defaults: &d {replicas: 3}\nvault:\n  <<: *d\n  replicas: 5\n"
    problems = _problems(text)  # invalid for other reasons: an unknown key, missing sections
    assert problems and not any("duplicate" in p for p in problems), problems


def test_a_valid_file_still_loads() -> None:
    assert parse_config(EXAMPLE.read_text()).cluster.name


@pytest.mark.parametrize(
    "schedule",
    [
        "0 2 * * *",
        "*/15 * * * *",
        "0 2 * jan-mar MON-FRI",
        "0 2 1-31/2 * ?",
        "5/10 * * * *",
        "0 0,12 * * 0-6",
        "@daily",
        "@hourly",
    ],
)
def test_schedules_velero_accepts(schedule: str) -> None:
    assert check_cron(schedule) == schedule


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("0 25 * * *", "schedule '0 25 * * *': hour 25 is out of range 0-23"),
        ("60 * * * *", "minute 60 is out of range 0-59"),
        ("0 0 0 * *", "day of month 0 is out of range 1-31"),
        ("0 0 * 13 *", "month 13 is out of range 1-12"),
        ("0 2 * * 7", "day of week 7 is out of range 0-6 (0 is Sunday)"),
        ("0 2 5-1 * *", "day of month '5-1': the range ends before it starts"),
        ("*/0 * * * *", "minute '*/0': the step after '/' must be a whole number above 0"),
        ("0 2 * foo *", "month 'foo' is not a number or a name like 'jan' (1-12)"),
        ("daily", "schedule 'daily' is not a 5-field cron expression, e.g. '0 2 * * *'"),
        ("@weekly2", "unknown descriptor; use one of @yearly"),
    ],
)
def test_schedules_velero_rejects(schedule: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_cron(schedule)
    assert message in str(caught.value)


def test_a_bad_schedule_fails_the_config_with_its_field() -> None:
    data = _example()
    data["backups"]["targets"][0]["schedule"] = "0 25 * * *"
    assert _problems(yaml.safe_dump(data)) == [
        "backups.targets[0].schedule: schedule '0 25 * * *': hour 25 is out of range 0-23"
    ]


def test_thousands_of_problems_show_the_first_and_count_the_rest() -> None:
    data = _example()
    data["nodes"] = [{"name": "n" * 100 + str(i), "ip": "999.0.0.1"} for i in range(1000)]
    with pytest.raises(ConfigError) as caught:
        parse_config(yaml.safe_dump(data), source="big.yaml")
    error = caught.value
    assert len(error.problems) >= 2000  # all kept for callers
    lines = str(error).splitlines()
    assert lines[0] == f"big.yaml: {len(error.problems):,} problems"
    assert len(lines) == 1 + SHOWN + 1
    hidden = len(error.problems) - SHOWN
    assert lines[-1] == f"  ... and {hidden:,} more (fix these first: they often share a cause)"


def test_one_problem_is_singular_and_nothing_is_hidden() -> None:
    error = ConfigError("c.yaml", ["only this"])
    assert str(error) == "c.yaml: 1 problem\n  - only this"
