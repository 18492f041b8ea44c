"""Running `labctl vault ...` in-process against the fakes."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from labctl.cli.vault import app
from tests.vault.conftest import VaultCluster


def run(
    cluster: VaultCluster, *args: str, token: str | None = None, keys: list[str] | None = None
) -> Result:
    """`labctl vault <args>` via the pod proxy; `keys` answer the hidden prompts in order."""
    assert cluster.target.cluster.kubeconfig is not None
    stdin = "".join(f"{k}\n" for k in keys or [])
    return CliRunner().invoke(
        app,
        [*args, "--kubeconfig", str(cluster.target.cluster.kubeconfig), "--request-timeout", "2"],
        input=stdin,
        env={"VAULT_ADDR": None, "VAULT_TOKEN": token, "VAULT_CACERT": None},
    )
