"""`labctl validate DIR` end to end: report, JSON, exit codes, timings, and the example tree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.cli.exit_codes import EXIT_UNAVAILABLE, EXIT_USAGE
from labctl.cli.main import app
from labctl.platform.components.alerts import prometheus_rules
from tests.support.tools import require
from tests.validate.conftest import FIXTURES, write_tree

runner = CliRunner()
EXAMPLE = Path(__file__).parents[2] / "examples" / "rendered"
FAST = ("--skip", "policy")  # checkov runs in test_policy.py and on the example tree only


def _tree(tmp_path: Path, *fixtures: str) -> Path:
    for fixture in fixtures:
        shutil.copy(FIXTURES / fixture, tmp_path / Path(fixture).name)
    return tmp_path


def test_findings_are_grouped_by_validator_and_exit_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(_tree(tmp_path, "xref/pdb-fail.yaml")), *FAST])
    assert result.exit_code == 1, result.output
    assert "cross-reference: 3 finding(s)" in result.output
    assert "  - [pdb-blocks-drain] pdb-fail.yaml#1 PodDisruptionBudget taskapp/postgres" in (
        result.output
    )
    assert "kubernetes-schema: ok, 3 checked" in result.output
    assert result.output.rstrip().endswith(
        "3 finding(s); chart output was not checked (run with --charts to render charts)"
    )


def test_a_clean_tree_exits_0_and_json_lists_every_validator(tmp_path: Path) -> None:
    root = _tree(tmp_path, "xref/pvc-backup-pass.yaml")
    args = [
        "validate",
        str(root),
        "-o",
        "json",
        "--only",
        "kubernetes-schema",
        "--only",
        "crd-schema",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["exitCode"] == 0 and report["findings"] == 0
    assert [v["validator"] for v in report["validators"]] == ["kubernetes-schema", "crd-schema"]
    assert report["validators"][1]["checked"] == 5  # 3 locations, 2 schedules


def test_verbose_prints_timings_per_validator(tmp_path: Path) -> None:
    root = _tree(tmp_path, "xref/service-pass.yaml")
    result = runner.invoke(app, ["validate", str(root), "-v", "--only", "kubernetes-schema"])
    assert "kubernetes-schema: ok, 3 checked (" in result.output
    assert "s in all" in result.output


def test_a_missing_tool_exits_69_and_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "tree"
    write_tree(root, prometheus_rules("monitoring", "https://git.example.com/docs/alerts.md"))
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = runner.invoke(app, ["validate", str(root), "--only", "promtool"])
    assert result.exit_code == EXIT_UNAVAILABLE == 69
    assert "promtool: NOT RUN: promtool is not installed (install the prometheus" in result.output
    assert "error: promtool is not installed" in result.stderr


def test_an_unknown_validator_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path), "--only", "kubeval"])
    assert result.exit_code == EXIT_USAGE
    assert "unknown validator(s) ['kubeval']" in result.stderr


def test_the_example_tree_validates_clean() -> None:
    if not EXAMPLE.is_dir():
        pytest.skip("examples/rendered/ does not exist yet (labctl render writes it)")
    require("promtool", "prometheus")
    require("amtool", "prometheus-alertmanager")
    result = runner.invoke(app, ["validate", str(EXAMPLE), "-o", "json"])
    report = json.loads(result.stdout)
    findings = [f for v in report["validators"] for f in v["findings"]]
    assert findings == [], json.dumps(findings[:20], indent=2)
    assert report["exitCode"] == 0
    assert {v["validator"] for v in report["validators"]} == {
        "kubernetes-schema",
        "crd-schema",
        "cross-reference",
        "argocd-sync",
        "promtool",
        "amtool",
        "policy",
    }


def test_an_empty_folder_is_a_finding_not_a_pass(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path), *FAST])
    assert result.exit_code == 1
    assert "[empty-tree]" in result.output


@pytest.mark.parametrize("version", ["banana", "1", "1.x", "v2.0.0", "1.34.2.1"])
def test_an_unreadable_kubernetes_version_is_a_usage_error(tmp_path: Path, version: str) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path), "--kubernetes-version", version])
    assert result.exit_code == EXIT_USAGE
    assert f"--kubernetes-version {version!r} is not a Kubernetes version" in result.stderr
    assert result.stdout == ""  # refused before anything ran


def test_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope")])
    assert result.exit_code == EXIT_USAGE
    assert "Invalid value for 'DIR'" in result.output


def test_piped_output_has_no_progress_and_says_charts_were_not_checked(tmp_path: Path) -> None:
    root = _tree(tmp_path, "xref/service-pass.yaml")
    result = runner.invoke(app, ["validate", str(root), "--only", "kubernetes-schema"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no spinner, no escape codes when not on a terminal
    assert result.stdout.splitlines()[-1] == (
        "0 finding(s); chart output was not checked (run with --charts to render charts)"
    )


def test_a_terminal_shows_progress_per_validator(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    root = _tree(tmp_path, "xref/service-pass.yaml")
    labctl = str(Path(sys.executable).parent / "labctl")
    primary, secondary = pty.openpty()
    done = subprocess.run(
        [labctl, "validate", str(root), "--only", "kubernetes-schema", "--only", "crd-schema"],
        stdout=subprocess.PIPE,
        stderr=secondary,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
        timeout=120,
        check=False,
    )
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    assert done.returncode == 0
    assert b"validate: kubernetes-schema" in shown and b"validate: crd-schema" in shown
    assert b"\x1b[" not in done.stdout  # the report itself, on a pipe, stays plain
