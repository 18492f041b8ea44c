from __future__ import annotations

from pathlib import Path

import pytest

from labctl.config.cluster import ClusterConfig
from labctl.config.load import load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cluster.yaml"


@pytest.fixture(scope="session")
def example_config() -> ClusterConfig:
    return load_config(EXAMPLE)
