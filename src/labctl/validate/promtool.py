"""`promtool check rules` and `promtool test rules` over the tree's PrometheusRules.

promtool reads plain rule files, so each PrometheusRule's `.spec` is written to a temporary
file. PrometheusRules that labctl rendered carry the parameters they were built with
(alerts.PARAMS_ANNOTATION); for those, the matching unit tests from alert_tests.py run too, and
every alert in them must have a test in which it fires.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from labctl.platform.components.alert_tests import firing_alerts, promtool_tests
from labctl.platform.components.alerts import AlertParams, params_of
from labctl.validate import tools
from labctl.validate.model import Result
from labctl.validate.tree import Manifest, Tree

NAME = "promtool"


def validate(tree: Tree) -> Result:
    result = Result(NAME)
    rules = list(tree.of_kind("PrometheusRule"))
    if not rules:
        result.notes.append("no PrometheusRule in the tree")
        return result
    tools.find("promtool")
    with tempfile.TemporaryDirectory(prefix="labctl-promtool-") as tmp:
        files = _write_rule_files(Path(tmp), rules)
        result.checked = len(files)
        _check_rules(result, files)
        for number, (params, ours) in enumerate(_by_params(files).items()):
            _test_rules(result, Path(tmp) / f"tests-{number}.yml", params, ours)
    return result


def _write_rule_files(tmp: Path, rules: list[Manifest]) -> dict[Path, Manifest]:
    files: dict[Path, Manifest] = {}
    for manifest in rules:
        path = tmp / f"{manifest.namespace or '_'}__{manifest.name}__{manifest.index}.yml"
        path.write_text(yaml.safe_dump(manifest.obj.get("spec") or {}, sort_keys=False))
        files[path] = manifest
    return files


def _check_rules(result: Result, files: dict[Path, Manifest]) -> None:
    run = tools.run("promtool", "check", "rules", *(str(path) for path in files))
    if run.returncode == 0:
        return
    # promtool prints one "Checking <file>" block per file.
    blocks = run.output.split("Checking ")
    for path, manifest in files.items():
        block = next((b for b in blocks if b.startswith(str(path))), "")
        if "SUCCESS" not in block:
            detail = block.removeprefix(str(path)).strip() or run.output
            result.add(f"promtool check rules: {tools.clip(detail)}", manifest.ref, "check-rules")


def _by_params(files: dict[Path, Manifest]) -> dict[AlertParams, dict[Path, Manifest]]:
    groups: dict[AlertParams, dict[Path, Manifest]] = {}
    for path, manifest in files.items():
        params = params_of(manifest.obj)
        if params is not None:
            groups.setdefault(params, {})[path] = manifest
    return groups


def _alert_names(manifests: list[Manifest]) -> set[str]:
    spec: list[dict[str, Any]] = [m.obj.get("spec") or {} for m in manifests]
    return {
        rule["alert"]
        for s in spec
        for group in s.get("groups") or []
        for rule in group.get("rules") or []
        if "alert" in rule
    }


def _test_rules(
    result: Result, test_file: Path, params: AlertParams, files: dict[Path, Manifest]
) -> None:
    tests = promtool_tests(params, [path.name for path in files])
    if not urlparse(params.runbook_base_url).path.endswith(".md"):
        result.notes.append(
            f"runbook_base_url {params.runbook_base_url} is not a Markdown page: each alert's "
            "runbook_url anchor names a section of docs/alerts.md, so point it at that file"
        )
    test_file.write_text(yaml.safe_dump(tests, sort_keys=False))
    where = ", ".join(sorted(m.ref for m in files.values()))
    untested = _alert_names(list(files.values())) - firing_alerts(tests)
    for name in sorted(untested):
        result.add(f"alert {name} has no promtool test in which it fires", where, "untested")
    run = tools.run("promtool", "test", "rules", str(test_file))
    cases = len(tests["tests"])
    if run.returncode == 0:
        result.notes.append(f"promtool test rules: {cases} test cases passed")
    else:
        result.add(f"promtool test rules failed:\n{tools.clip(run.output, 60)}", where, "test")
