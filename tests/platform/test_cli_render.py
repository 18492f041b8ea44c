"""`labctl init` and `labctl render` through the CLI: files, messages, exit codes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from labctl.cli.exit_codes import EXIT_INVALID
from labctl.cli.main import app

from .conftest import EXAMPLE


def test_init_writes_a_config_that_renders(tmp_path: Path) -> None:
    runner = CliRunner()
    config = tmp_path / "cluster.yaml"
    assert runner.invoke(app, ["init", str(config)]).exit_code == 0
    assert config.read_text() == EXAMPLE.read_text()
    result = runner.invoke(app, ["render", str(config), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "73 files (73 written, 0 unchanged, 0 removed)" in result.output
    assert (tmp_path / "out" / "apps" / "vault.yaml").is_file()


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    config = tmp_path / "cluster.yaml"
    config.write_text("mine")
    result = CliRunner().invoke(app, ["init", str(config)])
    assert result.exit_code == 3
    assert "exists; use --force" in result.output
    assert config.read_text() == "mine"


def test_render_reports_every_problem_and_exits_65(tmp_path: Path) -> None:
    config = tmp_path / "cluster.yaml"
    text = EXAMPLE.read_text().replace("replicas: 3               # odd", "replicas: 4  # even")
    config.write_text(text.replace("acme_server: production", "acme_server: prod"))
    result = CliRunner().invoke(app, ["render", str(config), "-o", str(tmp_path / "out")])
    assert result.exit_code == EXIT_INVALID
    assert "2 problems" in result.output
    assert "vault.replicas 4 is even" in result.output
    assert "(did you mean 'production'?)" in result.output
    assert not (tmp_path / "out").exists()


def test_render_check_reports_a_stale_tree_and_writes_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    runner.invoke(app, ["render", str(EXAMPLE), "-o", str(out)])
    ok = runner.invoke(app, ["render", str(EXAMPLE), "-o", str(out), "--check"])
    assert ok.exit_code == 0 and "up to date" in ok.output
    (out / "apps" / "vault.yaml").write_text("edited")
    (out / "apps" / "taskapp.yaml").unlink()
    stale = runner.invoke(app, ["render", str(EXAMPLE), "-o", str(out), "--check"])
    assert stale.exit_code == 1
    assert "2 file(s) differ" in stale.output
    assert f"out of date: {out / 'apps' / 'vault.yaml'}" in stale.output
    assert (out / "apps" / "vault.yaml").read_text() == "edited"
