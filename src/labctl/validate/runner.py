"""Run the validators over a tree, timing each; a missing tool stops only its validator."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from labctl.validate import amtool, crdschema, kubeschema, policy, promtool, xref
from labctl.validate.model import Result, ToolMissing
from labctl.validate.tree import Tree, load_tree

ORDER = (
    kubeschema.NAME,
    crdschema.NAME,
    xref.NAME,
    promtool.NAME,
    amtool.NAME,
    policy.NAME,
)


@dataclass(frozen=True)
class Options:
    kubernetes_version: str | None = None
    policy_exceptions: Path | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()


def _validators(options: Options) -> dict[str, Callable[[Tree], Result]]:
    return {
        kubeschema.NAME: lambda tree: kubeschema.validate(tree, options.kubernetes_version),
        crdschema.NAME: crdschema.validate,
        xref.NAME: xref.validate,
        promtool.NAME: promtool.validate,
        amtool.NAME: amtool.validate,
        policy.NAME: lambda tree: policy.validate(tree, options.policy_exceptions),
    }


@dataclass
class Report:
    root: Path
    results: list[Result]
    load_seconds: float

    @property
    def findings(self) -> int:
        return sum(len(r.findings) for r in self.results)

    @property
    def missing(self) -> list[ToolMissing]:
        return [r.missing for r in self.results if r.missing]

    @property
    def exit_code(self) -> int:
        """0 clean, 1 findings, 2 a validator could not run (its tool is missing)."""
        if self.missing:
            return 2
        return 1 if self.findings else 0


def run(root: Path, options: Options = Options()) -> Report:
    unknown = set(options.only) | set(options.skip)
    unknown -= set(ORDER)
    if unknown:
        raise ValueError(f"unknown validator(s) {sorted(unknown)}; known: {', '.join(ORDER)}")
    started = time.perf_counter()
    tree = load_tree(root)
    load_seconds = time.perf_counter() - started
    validators = _validators(options)
    results = []
    for name in ORDER:
        if (options.only and name not in options.only) or name in options.skip:
            continue
        results.append(_timed(name, validators[name], tree))
    return Report(root, results, load_seconds)


def _timed(name: str, validator: Callable[[Tree], Result], tree: Tree) -> Result:
    started = time.perf_counter()
    try:
        result = validator(tree)
    except ToolMissing as missing:
        result = Result(name, missing=missing)
    result.seconds = time.perf_counter() - started
    return result
