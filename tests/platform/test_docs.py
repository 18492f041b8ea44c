"""docs/platform.md keeps up with the code: every pin, and a command for every secret."""

from __future__ import annotations

import pytest

from labctl.config.cluster import ClusterConfig
from labctl.platform.render import components

from .conftest import ROOT

DOC = (ROOT / "docs" / "platform.md").read_text()


def test_every_chart_pin_is_documented(example_config: ClusterConfig) -> None:
    for component in components(example_config):
        if component.chart is not None:
            assert f"`{component.chart.name}` {component.chart.version}" in DOC, component.name


@pytest.mark.parametrize(
    ("namespace", "secret"),
    [
        ("cert-manager", "cloudflare-api-token"),
        ("cloudflared", "cloudflared-token"),
        ("vault", "vault-aws-kms"),
        ("vault", "vault-configure-token"),
        ("vault", "taskapp-postgres-admin"),
        ("taskapp", "taskapp-postgres-admin"),
        ("dns", "technitium-admin"),
        ("monitoring", "grafana-admin"),
        ("monitoring", "alertmanager-discord"),
    ],
)
def test_each_secret_reference_has_its_create_command(namespace: str, secret: str) -> None:
    assert f"kubectl -n {namespace} create secret generic {secret}" in DOC


def test_velero_secrets_are_documented(example_config: ClusterConfig) -> None:
    for target in example_config.backups.targets:
        assert target.credentials.name.startswith("velero-")
    assert 'create secret generic "velero-$target" --from-file=cloud=' in DOC
