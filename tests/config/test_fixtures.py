"""cluster.yaml fixtures: every valid one loads, every invalid one fails with its message.

A fixture is a small overlay on examples/cluster.yaml, so each shows only what it changes:
`set` maps a dotted path (`nodes[1].roles`) to a value, `delete` lists paths to remove, `raw`
replaces the whole text; invalid fixtures carry the `expect`ed message (a substring).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from labctl.config.load import ConfigError, parse_config

HERE = Path(__file__).parent / "fixtures"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cluster.yaml"
VALID = sorted((HERE / "valid").glob("*.yaml"))
INVALID = sorted((HERE / "invalid").glob("*.yaml"))


def _steps(path: str) -> list[str | int]:
    return [int(i) if i.isdigit() else i for i in re.findall(r"[^.\[\]]+", path)]


def _parent(data: Any, path: str) -> tuple[Any, str | int]:
    steps = _steps(path)
    for step in steps[:-1]:
        data = data[step]
    return data, steps[-1]


def text_of(fixture: Path) -> str:
    spec = yaml.safe_load(fixture.read_text())
    if "raw" in spec:
        return str(spec["raw"])
    data = copy.deepcopy(yaml.safe_load(EXAMPLE.read_text()))
    for path, value in (spec.get("set") or {}).items():
        parent, last = _parent(data, path)
        parent[last] = value
    for path in spec.get("delete") or []:
        parent, last = _parent(data, path)
        del parent[last]
    return yaml.safe_dump(data)


def test_there_are_enough_fixtures() -> None:
    assert len(VALID) >= 8
    assert len(INVALID) >= 20


@pytest.mark.parametrize("fixture", VALID, ids=lambda p: p.stem)
def test_valid_fixture_loads(fixture: Path) -> None:
    config = parse_config(text_of(fixture), source=fixture.name)
    assert config.vault.replicas % 2 == 1


@pytest.mark.parametrize("fixture", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_names_the_problem(fixture: Path) -> None:
    expected = yaml.safe_load(fixture.read_text())["expect"]
    with pytest.raises(ConfigError) as caught:
        parse_config(text_of(fixture), source=fixture.name)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
    assert str(caught.value).startswith(f"{fixture.name}: ")


def test_every_problem_is_reported_at_once() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["vault"]["replicas"] = 4
    data["tls"]["acme_server"] = "prod"
    with pytest.raises(ConfigError) as caught:
        parse_config(yaml.safe_dump(data))
    assert len(caught.value.problems) == 2
