"""The rendered tree: deterministic, equal to the committed example, free of secret values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from labctl.config.cluster import ClusterConfig
from labctl.config.load import parse_config
from labctl.config.template import example_text
from labctl.platform import tree
from labctl.platform.render import files, render
from tests.config.test_fixtures import VALID, text_of

from .conftest import EXAMPLE, ROOT

RENDERED = ROOT / "examples" / "rendered"
REGENERATE = ".venv/bin/labctl render examples/cluster.yaml -o examples/rendered"
SECRET_NAMES = re.compile(r"(PASSWORD|TOKEN|SECRET|_KEY$)", re.IGNORECASE)


def documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def all_objects(config: ClusterConfig) -> list[dict[str, Any]]:
    return [obj for text in files(config).values() for obj in documents(text)]


def test_a_second_render_is_byte_identical(example_config: ClusterConfig, tmp_path: Path) -> None:
    first = render(example_config, tmp_path / "a")
    again = render(example_config, tmp_path / "a")
    assert again.written == [] and again.removed == []
    assert sorted(again.unchanged) == sorted(first.written)
    render(example_config, tmp_path / "b")
    for rel in first.written:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()


def test_committed_example_equals_a_fresh_render(example_config: ClusterConfig) -> None:
    expected = files(example_config)
    committed = {
        p.relative_to(RENDERED).as_posix(): p.read_text(encoding="utf-8")
        for p in RENDERED.rglob("*")
        if p.is_file()
    }
    stale = sorted(set(committed) ^ set(expected)) + sorted(
        rel for rel in expected if rel in committed and committed[rel] != expected[rel]
    )
    assert stale == [], f"examples/rendered is out of date ({stale[:5]}); run: {REGENERATE}"


def test_init_writes_the_example() -> None:
    assert example_text() == EXAMPLE.read_text(encoding="utf-8")


def test_objects_in_a_file_follow_the_kind_rank() -> None:
    objs = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "b", "namespace": "x"},
        },
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "a", "namespace": "x"},
        },
    ]
    names = [(d["kind"], d["metadata"]["name"]) for d in documents(tree.dump(objs))]
    assert names == [("Namespace", "x"), ("Deployment", "a"), ("Deployment", "b")]


def test_removed_components_leave_no_stale_files(tmp_path: Path) -> None:
    tree.write({"a.yaml": tree.HEADER, "b.yaml": tree.HEADER}, tmp_path)
    (tmp_path / "mine.txt").write_text("hand-written")
    result = tree.write({"a.yaml": tree.HEADER}, tmp_path)
    assert result.removed == ["b.yaml"]
    assert (tmp_path / "mine.txt").exists()


def test_the_tree_holds_no_secret_objects(example_config: ClusterConfig) -> None:
    assert [
        o["metadata"]["name"] for o in all_objects(example_config) if o["kind"] == "Secret"
    ] == []


def _env_values(node: Any, found: list[str]) -> None:
    if isinstance(node, dict):
        if "name" in node and "value" in node and SECRET_NAMES.search(str(node["name"])):
            found.append(f"{node['name']}={node['value']}")
        for value in node.values():
            _env_values(value, found)
    elif isinstance(node, list):
        for value in node:
            _env_values(value, found)


def test_secret_like_settings_are_references_or_file_paths(example_config: ClusterConfig) -> None:
    found: list[str] = []
    for obj in all_objects(example_config):
        _env_values(obj, found)
    # Only paths to mounted Secrets may be spelled out.
    assert [f for f in found if "=/" not in f] == []


def test_secret_references_come_from_config(example_config: ClusterConfig) -> None:
    text = "\n".join(files(example_config).values())
    for ref in (
        example_config.tls.cloudflare_api_token,
        example_config.tunnel.token,
        example_config.alerting.discord_webhook,
        example_config.taskapp.database.admin_password,
    ):
        assert ref.name in text
    assert example_config.vault.aws_credentials.secret in text


@pytest.mark.parametrize("fixture", VALID, ids=lambda p: p.stem)
def test_every_valid_config_renders_the_same_twice(fixture: Path) -> None:
    config = parse_config(text_of(fixture))
    first = files(config)
    assert first == files(config)
    apps = [d for t in first.values() for d in documents(t) if d["kind"] == "Application"]
    assert {a["metadata"]["name"] for a in apps} >= {"platform-root", "vault", "taskapp"}


def test_a_disabled_tunnel_keeps_only_its_namespace_and_policies(
    example_config: ClusterConfig,
) -> None:
    config = example_config.model_copy(
        update={"tunnel": example_config.tunnel.model_copy(update={"enabled": False})}
    )
    kinds = {d["kind"] for d in documents(files(config)["components/cloudflared/resources.yaml"])}
    assert kinds == {"Namespace"}
