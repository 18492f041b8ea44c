"""`labctl snapshot save DIR`: collect what `labctl health` reads, into a shareable folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labctl.cli._ops import Context, Kubeconfig
from labctl.cli.health import (
    Alertmanager,
    KubeletStats,
    Timeout,
    VaultNamespace,
    VaultScheme,
    VaultSelector,
)

app = typer.Typer(help="Save cluster snapshots for offline health checks.", no_args_is_help=True)


@app.command("save")
def save(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="Folder to write (created if missing).")
    ],
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    timeout: Timeout = 10.0,
    vault_namespace: VaultNamespace = "vault",
    vault_selector: VaultSelector = "app.kubernetes.io/name=vault,component=server",
    vault_scheme: VaultScheme = "http",
    alertmanager: Alertmanager = "monitoring/alertmanager-operated:9093",
    kubelet_stats: KubeletStats = True,
) -> None:
    """Collect one snapshot (one LIST per kind, Vault, Alertmanager, kubelet stats) into FOLDER.

    The folder holds plain `kubectl get <resource> -A -o json` files; check it later with
    `labctl health --snapshot FOLDER`. Exits 3 if something could not be read (listed), 4
    if the cluster cannot be reached at all (then nothing is written).
    """
    from labctl.cli._health_run import save_snapshot, settings

    chosen = settings(vault_namespace, vault_selector, alertmanager, kubelet_stats, vault_scheme)
    raise typer.Exit(save_snapshot(folder, kubeconfig, context, timeout, chosen))
