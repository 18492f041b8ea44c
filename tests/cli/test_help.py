"""Every command's help reads well, the flags mean one thing everywhere, and docs/operations.md's
exit-code table is the one the code uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main
from typer.core import TyperGroup, TyperOption
from typer.testing import CliRunner

from labctl.cli import exit_codes
from labctl.cli._ops import camel_keys
from labctl.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _commands() -> list[tuple[tuple[str, ...], object]]:
    found: list[tuple[tuple[str, ...], object]] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        found.append((path, command))
        if isinstance(command, TyperGroup):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


COMMANDS = _commands()
# What Typer writes when nobody chose a metavar: Python types, ranges as maths, braces.
TYPE_NAMES = re.compile(r"<(bool|str|int|float|path|file|dir|list\[[^\]]*\]|[a-z]+ range)>")
MATHS = re.compile(r"x[<>]=|<=x")


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "labctl")
def test_help_at_80_columns_reads_well(path: tuple[str, ...]) -> None:
    short = runner.invoke(app, [*path, "-h"], env={"COLUMNS": "80"}, terminal_width=80)
    assert short.exit_code == 0, short.output
    text = short.output
    assert TYPE_NAMES.search(text) is None, text
    assert MATHS.search(text) is None, text
    assert "…" not in text and "{" not in text.splitlines()[0], text
    assert max(len(line) for line in text.splitlines()) <= 80, text


@pytest.mark.parametrize("path", [(), ("health",), ("vault", "db", "list")])
def test_dash_h_is_dash_dash_help(path: tuple[str, ...]) -> None:
    short, long = (runner.invoke(app, [*path, flag]) for flag in ("-h", "--help"))
    assert short.exit_code == long.exit_code == 0
    assert short.output == long.output and "Usage: labctl" in short.output


def _options(command: object) -> dict[str, TyperOption]:
    params = getattr(command, "params", [])
    return {o: p for p in params if isinstance(p, TyperOption) for o in p.opts}


def test_every_command_that_reaches_a_cluster_bounds_each_call_and_waits_mean_total() -> None:
    for path, command in COMMANDS:
        options = _options(command)
        if "--kubeconfig" in options:
            assert "--request-timeout" in options, path
        request = options.get("--request-timeout")
        if request is not None:
            assert "each" in (request.help or ""), path
        wait = options.get("--timeout")
        if wait is not None:
            assert "each" not in (wait.help or "") and "per " not in (wait.help or ""), path
            assert wait.metavar == "SECONDS", path


def test_db_commands_take_both_timeouts() -> None:
    for path, command in COMMANDS:
        if path[:1] == ("db",) and len(path) == 2:
            assert {"--request-timeout", "--timeout"} <= set(_options(command)), path


def test_the_documented_table_is_the_code_table() -> None:
    docs = (ROOT / "docs" / "operations.md").read_text()
    section = docs.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}
    constants = {v for k, v in vars(exit_codes).items() if k.startswith("EXIT_")}
    assert documented == constants


def test_usage_errors_never_share_a_code_with_an_outcome() -> None:
    outcomes = {
        v for k, v in vars(exit_codes).items() if k.startswith("EXIT_") and k != "EXIT_USAGE"
    }
    assert exit_codes.EXIT_USAGE not in outcomes
    assert exit_codes.EXIT_CRITICAL == 2  # Nagios CRITICAL: why usage errors cannot be 2


def test_json_keys_are_camel_case_and_maps_inside_keep_theirs() -> None:
    rows = [
        {
            "valid_until": "2026-01-01",
            "exit_code": 0,
            "labels": {"job_name": "x", "app.kubernetes.io/name": "y"},
            "peers": [{"node_id": "a", "is_voter": True}],
            "facts": [("key_one", "v")],
        }
    ]
    assert camel_keys(rows) == [
        {
            "validUntil": "2026-01-01",
            "exitCode": 0,
            "labels": {"job_name": "x", "app.kubernetes.io/name": "y"},
            "peers": [{"nodeId": "a", "isVoter": True}],
            "facts": [("key_one", "v")],
        }
    ]
