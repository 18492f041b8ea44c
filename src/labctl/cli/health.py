"""`labctl health` and `labctl checks`: the runbook's daily checks, live or from a snapshot.

Exit codes of `labctl health`:
  0  healthy: no findings
  1  warnings only
  2  at least one critical finding (critical wins over unknown)
  3  some areas could not be checked (data missing, API errors), no critical finding
  4  the cluster could not be reached (no kubeconfig, or one that cannot be read)
Usage errors (unknown option, area or check id, a folder that is not a snapshot, a `--write` path
that cannot be written) exit 64, with the message on stderr: never 2, which Nagios reads as
CRITICAL; Nagios reads 4 and 64 as UNKNOWN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labctl.cli._ops import Context, Kubeconfig

Output = Annotated[
    str, typer.Option("--output", "-o", metavar="FORMAT", help="table, json, junit or prometheus.")
]
Timeout = Annotated[
    float,
    typer.Option("--request-timeout", metavar="SECONDS", help="Seconds to wait for each API call."),
]
VaultNamespace = Annotated[str, typer.Option(help="Namespace of the Vault pods.")]
VaultSelector = Annotated[str, typer.Option(help="Label selector of the Vault server pods.")]
VaultScheme = Annotated[
    str,
    typer.Option(
        metavar="SCHEME",
        help="http, or https when Vault's listener uses TLS (read through the API server's "
        "pod proxy as https:POD:PORT).",
    ),
]
Alertmanager = Annotated[
    str, typer.Option(metavar="NAMESPACE/SERVICE:PORT", help="Alertmanager's service.")
]
KubeletStats = Annotated[
    bool, typer.Option(help="Read PVC usage from kubelet stats (needs get nodes/proxy).")
]


def health(
    snapshot: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="Check a saved snapshot folder instead of the cluster."),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="AREA", help="Check only this area (repeatable)."),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", metavar="CHECK", help="Skip this check id or name (repeatable)."),
    ] = None,
    output: Output = "table",
    write: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Write the output to this file atomically (textfile collector)."
        ),
    ] = None,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 whatever the result (for CronJobs).")
    ] = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    timeout: Timeout = 10.0,
    vault_namespace: VaultNamespace = "vault",
    vault_selector: VaultSelector = "app.kubernetes.io/name=vault,component=server",
    vault_scheme: VaultScheme = "http",
    alertmanager: Alertmanager = "monitoring/alertmanager-operated:9093",
    kubelet_stats: KubeletStats = True,
) -> None:
    """Check nodes, workloads, Vault, Argo CD, backups, certificates, storage, scaling, alerts.

    Exit codes: 0 healthy, 1 warnings, 2 critical, 3 some areas could not be checked,
    4 the cluster could not be reached, 64 usage error.
    """
    from labctl.cli._health_run import run_health, settings

    code = run_health(
        snapshot=snapshot,
        areas=only or None,
        ignore=ignore or [],
        output=output,
        write=write,
        kubeconfig=kubeconfig,
        context=context,
        timeout=timeout,
        settings=settings(
            vault_namespace, vault_selector, alertmanager, kubelet_stats, vault_scheme
        ),
    )
    raise typer.Exit(0 if exit_zero else code)


def list_checks(
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="FORMAT", help="table or json.")
    ] = "table",
) -> None:
    """List every health check with its id, severity and what it looks for."""
    from labctl.cli._health_run import print_checks

    if output not in ("table", "json"):
        # junit and prometheus are results: `labctl health -o ...` writes them.
        raise typer.BadParameter(
            f"{output!r}: use table or json (junit and prometheus are health's results)",
            param_hint="--output",
        )
    print_checks(output)
