"""docs/runbook.md: every labctl command it names exists, with the options it shows.

Rows are the seed runbook's commands in order (numbered 1..n without gaps). The labctl column
holds one or more `labctl ...` code spans, or `—` with a reason in the notes. A command whose
row says `(planned)` may be missing from the CLI; once it exists, the marker must go.
"""

from __future__ import annotations

import functools
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from labctl.cli.main import app

DOC = Path(__file__).parents[1] / "docs" / "runbook.md"
PLANNED = "(planned)"


def rows() -> list[dict[str, str]]:
    lines = DOC.read_text().splitlines()
    start = lines.index("| # | Runbook section | Runbook command | labctl | Notes |")
    found = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        number, section, command, labctl, notes = cells
        found.append(
            {"n": number, "section": section, "command": command, "labctl": labctl, "notes": notes}
        )
    return found


@functools.cache
def cli() -> Any:
    return typer.main.get_command(app)


def resolve(words: list[str]) -> tuple[Any, list[str]] | None:
    """The click command that `labctl WORDS...` reaches, and the words after it."""
    command: Any = cli()
    rest = list(words)
    while hasattr(command, "commands") and rest and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    if hasattr(command, "commands"):
        return None  # stopped at a group: not a runnable command
    return command, rest


def options_of(command: Any) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def labctl_commands(cell: str) -> list[str]:
    return re.findall(r"`(labctl[^`]*)`", cell)


def test_rows_are_numbered_in_order_and_complete() -> None:
    table = rows()
    assert [r["n"] for r in table] == [str(i) for i in range(1, len(table) + 1)]
    assert len(table) >= 80  # the seed runbook has 81 commands
    for row in table:
        assert row["command"].startswith("`"), row
        assert labctl_commands(row["labctl"]) or (row["labctl"] == "—" and row["notes"]), row


@pytest.mark.parametrize("row", rows(), ids=lambda r: f"{r['n']}-{r['labctl'][:40]}")
def test_every_named_command_exists_with_its_options(row: dict[str, str]) -> None:
    for text in labctl_commands(row["labctl"]):
        found = resolve(shlex.split(text)[1:])
        if PLANNED in row["labctl"]:
            assert found is None, f"{text} exists now: remove {PLANNED} from row {row['n']}"
            continue
        assert found is not None, f"row {row['n']}: {text} is not a labctl command"
        command, rest = found
        unknown = {w.split("=")[0] for w in rest if w.startswith("-")} - options_of(command)
        assert not unknown, f"row {row['n']}: {text}: no option {', '.join(sorted(unknown))}"
