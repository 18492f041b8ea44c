"""`labctl` builds only the command being run, and answers exactly as the whole app would."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from labctl.cli.main import _app_for, app


def test_a_known_command_gets_a_lean_app() -> None:
    lean = _app_for(["health", "--snapshot", "x"])
    assert [c.name for c in lean.registered_commands] == ["health"]
    assert lean.registered_groups == []
    assert len(app.registered_commands) > 1  # the shared app is untouched


@pytest.mark.parametrize("args", [[], ["--help"], ["--version"], ["helth"]])
def test_anything_else_gets_the_whole_app(args: list[str]) -> None:
    assert _app_for(args) is app


@pytest.mark.parametrize(
    "args",
    [
        ["health", "--help"],
        ["vault", "--help"],
        ["vault", "status", "--help"],
        ["health", "--no-such-option"],
        ["backup", "nope"],
    ],
)
def test_lean_and_whole_apps_answer_alike(args: list[str]) -> None:
    runner = CliRunner()
    whole = runner.invoke(app, args)
    lean = runner.invoke(_app_for(args), args)
    assert (lean.exit_code, lean.output) == (whole.exit_code, whole.output)
    assert whole.output  # help text or an error message, never silence


def test_plans_prompt_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from labctl.cli._ops import terminal_ask

    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    assert terminal_ask() is None  # a pipe or CI: plans need --yes

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    ask = terminal_ask()
    assert ask is not None
    assert ask("Apply?") is True


def test_end_of_input_at_the_prompt_is_not_confirmed(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from labctl.cli._ops import terminal_ask

    class EmptyTerminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", EmptyTerminal(""))  # Ctrl-D: EOF, which Click aborts on
    ask = terminal_ask()
    assert ask is not None
    assert ask("Apply?") is False
