"""`labctl health` and `labctl checks`: the runbook's daily checks, live or from a snapshot.

Exit codes of `labctl health` are Nagios' (a monitoring system reads them):
  0  OK: no findings
  1  WARNING: warnings only
  2  CRITICAL: at least one critical finding (critical wins over unknown)
  3  UNKNOWN: some areas could not be checked (data missing, API errors), no critical
     finding; also the cluster could not be reached, the output could not be written, or a
     usage error (unknown option, area, check id, a folder that is not a snapshot), with the
     message on stderr. Never 2 for a usage error: that would page someone as CRITICAL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from labctl.cli._ops import Context, Kubeconfig

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3


class NagiosCommand(TyperCommand):
    """A command whose usage errors exit UNKNOWN (3), not click's 2 (CRITICAL to Nagios)."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _usage_errors_unknown():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        with _usage_errors_unknown():
            return super().invoke(ctx)


@contextmanager
def _usage_errors_unknown() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        # click's UsageError and its subclasses; typer vendors click, so match it by name
        if any(c.__name__ == "UsageError" for c in type(error).__mro__):
            error.exit_code = UNKNOWN  # type: ignore[attr-defined]
        raise


Output = Annotated[str, typer.Option("--output", "-o", help="table, json, junit or prometheus.")]
Timeout = Annotated[float, typer.Option(help="Seconds per API request.")]
VaultNamespace = Annotated[str, typer.Option(help="Namespace of the Vault pods.")]
VaultSelector = Annotated[str, typer.Option(help="Label selector of the Vault server pods.")]
VaultScheme = Annotated[
    str,
    typer.Option(
        help="http, or https when Vault's listener uses TLS (read through the API server's "
        "pod proxy as https:POD:PORT)."
    ),
]
Alertmanager = Annotated[str, typer.Option(help="Alertmanager service as NAMESPACE/SERVICE:PORT.")]
KubeletStats = Annotated[
    bool, typer.Option(help="Read PVC usage from kubelet stats (needs get nodes/proxy).")
]


def health(
    snapshot: Annotated[
        Path | None, typer.Option(help="Check a saved snapshot folder instead of the cluster.")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Check only this area (repeatable).")
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="Skip this check id or name (repeatable)."),
    ] = None,
    output: Output = "table",
    write: Annotated[
        Path | None,
        typer.Option(help="Write the output to this file atomically (textfile collector)."),
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

    Exit codes (Nagios): 0 OK, 1 warnings, 2 critical, 3 unknown (some areas could not be
    checked, or a usage error).
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
    raise typer.Exit(OK if exit_zero else code)


def list_checks(output: Output = "table") -> None:
    """List every health check with its id, severity and what it looks for."""
    from labctl.cli._health_run import print_checks

    print_checks(output)
