"""Run the validators over a tree, timing each; a missing tool stops only its validator.

With `charts`, every Helm source is rendered first and its objects join the tree, so every
validator sees them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from labctl.cli.exit_codes import EXIT_FAILED, EXIT_UNAVAILABLE
from labctl.validate import amtool, argocd, charts, crdschema, kubeschema, policy, promtool, xref
from labctl.validate.model import Result, ToolMissing
from labctl.validate.tree import Tree, load_tree

ORDER = (
    kubeschema.NAME,
    crdschema.NAME,
    xref.NAME,
    argocd.NAME,
    promtool.NAME,
    amtool.NAME,
    policy.NAME,
)
Progress = Callable[[str], None]  # called with a validator's name as it starts


@dataclass(frozen=True)
class Options:
    kubernetes_version: str | None = None
    policy_exceptions: Path | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    charts: bool = False  # render every Helm source (--charts)
    chart_dir: Path | None = None  # where the charts are, as `helm pull --untar` leaves them


def _validators(options: Options, version: str | None) -> dict[str, Callable[[Tree], Result]]:
    return {
        kubeschema.NAME: lambda tree: kubeschema.validate(tree, options.kubernetes_version),
        crdschema.NAME: crdschema.validate,
        xref.NAME: xref.validate,
        argocd.NAME: lambda tree: argocd.validate(tree, version, options.charts),
        promtool.NAME: promtool.validate,
        amtool.NAME: amtool.validate,
        policy.NAME: lambda tree: policy.validate(tree, options.policy_exceptions),
    }


@dataclass
class Report:
    root: Path
    results: list[Result]
    load_seconds: float
    charts_checked: bool = False
    chart_objects: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def findings(self) -> int:
        return sum(len(r.findings) for r in self.results)

    @property
    def missing(self) -> list[ToolMissing]:
        return [r.missing for r in self.results if r.missing]

    @property
    def unavailable(self) -> list[str]:
        return [u for r in self.results for u in r.unavailable]

    @property
    def exit_code(self) -> int:
        """0 clean, 1 findings, 69 part of the tree was not checked (a tool or chart missing)."""
        if self.missing or self.unavailable:
            return EXIT_UNAVAILABLE
        return EXIT_FAILED if self.findings else 0


def run(root: Path, options: Options = Options(), progress: Progress | None = None) -> Report:
    unknown = set(options.only) | set(options.skip)
    unknown -= set(ORDER)
    if unknown:
        raise ValueError(f"unknown validator(s) {sorted(unknown)}; known: {', '.join(ORDER)}")
    started = time.perf_counter()
    tree = load_tree(root)
    load_seconds = time.perf_counter() - started
    version = options.kubernetes_version or kubeschema.kubernetes_version(tree)
    results: list[Result] = []
    report = Report(root, results, load_seconds, charts_checked=options.charts)
    if options.charts:
        if progress:
            progress(charts.NAME)
        rendered: list[charts.Charts] = []

        def render(tree: Tree) -> Result:
            rendered.append(charts.render_all(tree, options.chart_dir, version))
            return rendered[0].result

        results.append(_timed(charts.NAME, render, tree))
        if rendered:
            report.chart_objects = len(rendered[0].manifests)
            tree = Tree(tree.root, [*tree.manifests, *rendered[0].manifests], tree.errors)
    else:
        report.notes.append("chart output was not checked (run with --charts to render charts)")
    validators = _validators(options, version)
    for name in ORDER:
        if (options.only and name not in options.only) or name in options.skip:
            continue
        if progress:
            progress(name)
        results.append(_timed(name, validators[name], tree))
    return report


def _timed(name: str, validator: Callable[[Tree], Result], tree: Tree) -> Result:
    started = time.perf_counter()
    try:
        result = validator(tree)
    except ToolMissing as missing:
        result = Result(name, missing=missing)
    result.seconds = time.perf_counter() - started
    return result
