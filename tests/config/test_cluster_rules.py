"""Settings other helpers read from the config: the Vault scheme, the targets the tree deploys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from labctl.config.cluster import GARAGE_ENDPOINT, vault_scheme
from labctl.config.load import parse_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cluster.yaml"


def _config(**vault: object) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    data["vault"].update(vault)
    return data


def test_the_vault_scheme_follows_the_listener_tls() -> None:
    assert vault_scheme(parse_config(yaml.safe_dump(_config()))) == "https"
    assert vault_scheme(parse_config(yaml.safe_dump(_config(tls=False)))) == "http"


def test_the_example_deploys_garage_for_its_onsite_target() -> None:
    config = parse_config(EXAMPLE.read_text())
    assert [t.name for t in config.garage_targets] == ["garage-onsite"]
    assert config.garage_targets[0].endpoint == GARAGE_ENDPOINT
    assert config.cluster.cni == "calico"
