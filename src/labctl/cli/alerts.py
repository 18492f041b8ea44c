"""`labctl alerts`: firing alerts grouped by name and severity (Watchdog excluded)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from labctl.cli._ops import (
    EXIT_CLUSTER,
    Context,
    Kubeconfig,
    Output,
    RequestTimeout,
    connect_to,
    emit,
    err,
    errors_to_exit_codes,
)

COLUMNS = ("alertname", "severity", "firing", "where", "since", "summary")


def alerts(
    namespace: Annotated[
        str, typer.Option("-n", "--namespace", help="Alertmanager's namespace.")
    ] = "monitoring",
    service: Annotated[
        str, typer.Option("--service", help="Alertmanager's Service.")
    ] = "alertmanager-operated",
    port: Annotated[int, typer.Option("--port", help="The Service port.")] = 9093,
    output: Output = "table",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """Firing alerts from Alertmanager (through the API server's service proxy)."""
    from labctl.cluster.collect import AlertmanagerLocation
    from labctl.troubleshoot.alerts import AlertmanagerUnreachable, group_alerts, read_alerts
    from labctl.troubleshoot.reads import now

    where = AlertmanagerLocation(namespace=namespace, service=service, port=port)
    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, request_timeout)
        try:
            groups = group_alerts(read_alerts(client, where), now())
        except AlertmanagerUnreachable as error:
            err(str(error))
            raise typer.Exit(EXIT_CLUSTER) from None
    if output == "table" and not groups:
        typer.echo("no alerts firing (Watchdog excluded)")
        return
    emit([asdict(g) for g in groups], output, COLUMNS)
