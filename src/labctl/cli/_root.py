"""The root command's class: usage errors exit 64, and help that reads like kubectl's or git's.

Typer's help shows a parameter's Python type (`<bool>`, `<list[str]>`, `<int range>`), wraps a
required argument in braces (`{workload}`) and writes ranges as `x>=0`. `RootGroup` walks the
command tree once when Typer builds it and gives each parameter what a person reads instead:
the metavar the option declares (the shared ones in `_ops`), else the last word of its name in
capitals (SECONDS for durations), nothing for flags, Click's `NAME`/`[NAME]` in usage lines,
ranges in words, whole-number defaults without `.0`, and each command's whole first sentence in
the command lists instead of a cut-off one. Help is Click's plain layout (rich_markup_mode
None): it wraps at the terminal's width where Typer's Rich panels cut defaults off with "…".
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from typer._click import Command, Context, Parameter  # Typer's own copy of Click
from typer._click.exceptions import UsageError
from typer.core import TyperArgument, TyperGroup, TyperOption

from labctl.cli.exit_codes import EXIT_USAGE


class RootGroup(TyperGroup):
    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        _readable(self)

    def make_context(self, *args: Any, **kwargs: Any) -> Context:
        with _usage_exit_code():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Context) -> Any:
        # Sub-commands parse (and their bodies raise BadParameter) inside the root's invoke.
        with _usage_exit_code():
            return super().invoke(ctx)


@contextmanager
def _usage_exit_code() -> Iterator[None]:
    try:
        yield
    except UsageError as error:
        error.exit_code = EXIT_USAGE
        raise


def _readable(command: Command) -> None:
    for param in command.params:
        _readable_param(param)
    if command.help and not command.short_help:
        command.short_help = " ".join(inspect.cleandoc(command.help).split("\n\n")[0].split())
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            _readable(sub)


def _readable_param(param: Parameter) -> None:
    if isinstance(param.default, float) and param.default.is_integer():
        param.default = int(param.default)  # help says "default: 10", Click still passes 10.0
    if isinstance(param, TyperOption):
        if param.is_flag or param.count:
            param.metavar = ""
        elif param.metavar is None:
            param.metavar = _last_word(param.opts)
        param.__class__ = _Option
    elif isinstance(param, TyperArgument):
        if param.metavar is None:
            param.metavar = (param.name or "value").upper()
        param.__class__ = _Argument


def _last_word(opts: list[str]) -> str:
    """`--vault-selector` takes a SELECTOR, `--output-file` a FILE, `--poll-interval` SECONDS."""
    word = max(opts, key=len).rsplit("-", 1)[-1]
    return "SECONDS" if word in _DURATIONS else word.upper()


_DURATIONS = frozenset({"timeout", "wait", "interval"})  # every duration option is in seconds


def _range_words(low: float | None, high: float | None) -> str | None:
    if low is None and high is None:
        return None
    if high is None:
        return f"at least {low}"
    if low is None:
        return f"at most {high}"
    return f"{low} to {high}"


class _Option(TyperOption):
    """A TyperOption whose range reads `0 to 9` (no new state: `_readable_param` swaps the
    class of options Typer built)."""

    def _get_number_range_help_str(self) -> str | None:
        return _range_words(self.min, self.max)


class _Argument(TyperArgument):
    """A TyperArgument shown as Click does in usage lines: `NAME`, `[NAME]`, `NAME...`."""

    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")

    def display_type_rich(self, ctx: Context) -> str | None:
        return None  # the name column already shows the metavar

    def _get_number_range_help_str(self) -> str | None:
        return _range_words(self.min, self.max)


def root_app(**kwargs: Any) -> typer.Typer:
    """A Typer app built on `RootGroup`, with `-h` as `--help` in every command."""
    settings = {"help_option_names": ["-h", "--help"]}
    return typer.Typer(cls=RootGroup, context_settings=settings, rich_markup_mode=None, **kwargs)
