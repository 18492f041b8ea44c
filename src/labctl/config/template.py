"""The commented cluster.yaml that `labctl init` writes (also examples/cluster.yaml)."""

from __future__ import annotations

from importlib.resources import files


def example_text() -> str:
    return files("labctl.config").joinpath("cluster.example.yaml").read_text(encoding="utf-8")
