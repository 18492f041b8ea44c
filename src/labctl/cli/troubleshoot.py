"""`labctl troubleshoot pod|node|storage|argocd|certificate NAME`: one view, the likely cause."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from labctl.cli._ops import (
    Context,
    Kubeconfig,
    Output,
    RequestTimeout,
    connect_to,
    errors_to_exit_codes,
)

if TYPE_CHECKING:
    from lightkube import Client

    from labctl.troubleshoot.view import View

app = typer.Typer(
    help="Gather describe, logs --previous and events in one view, with the likely cause."
)

Name = Annotated[str, typer.Argument(help="The object's name.")]
Namespace = Annotated[str, typer.Option("-n", "--namespace", help="The namespace.")]


def _show(
    build: Callable[[Client], View],
    output: str,
    kubeconfig: Path | None,
    context: str | None,
    timeout: float,
) -> None:
    from labctl.troubleshoot.view import render_view

    if output not in ("text", "table", "json"):
        raise typer.BadParameter(f"unknown output {output!r}: use text or json")
    with errors_to_exit_codes():
        client = connect_to(kubeconfig, context, timeout)
        view = build(client)
    if output == "json":
        typer.echo(json.dumps(asdict(view), indent=2))
    else:
        typer.echo(render_view(view))


@app.command()
def pod(
    name: Name,
    namespace: Namespace = "default",
    output: Output = "text",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """A pod: containers, conditions, logs of the previous instance, events, likely cause."""
    from labctl.troubleshoot.pod import pod_view

    _show(lambda c: pod_view(c, name, namespace), output, kubeconfig, context, request_timeout)


@app.command()
def node(
    name: Name,
    output: Output = "text",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """A node: conditions, taints, its pods, what a drain would block on, events, likely cause."""
    from labctl.troubleshoot.node import node_view

    _show(lambda c: node_view(c, name), output, kubeconfig, context, request_timeout)


@app.command()
def storage(
    name: Annotated[str, typer.Argument(help="The PersistentVolumeClaim.")],
    namespace: Namespace = "default",
    output: Output = "text",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """A PVC: its PV, Longhorn volume, the pods using it, events, likely cause."""
    from labctl.troubleshoot.storage import storage_view

    _show(lambda c: storage_view(c, name, namespace), output, kubeconfig, context, request_timeout)


@app.command("argocd")
def argocd_app(
    name: Annotated[str, typer.Argument(help="The Application.")],
    namespace: Namespace = "argocd",
    output: Output = "text",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """An Argo CD Application: sync, health, last operation, failing resources, likely cause."""
    from labctl.troubleshoot.argocd import argocd_view

    _show(lambda c: argocd_view(c, name, namespace), output, kubeconfig, context, request_timeout)


app.command("app", hidden=True)(argocd_app)  # the health checks' hints say `troubleshoot app`


@app.command()
def certificate(
    name: Annotated[str, typer.Argument(help="The Certificate.")],
    namespace: Namespace = "default",
    output: Output = "text",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    request_timeout: RequestTimeout = 10.0,
) -> None:
    """A cert-manager Certificate: readiness, requests, issuer, events, likely cause."""
    from labctl.troubleshoot.certificate import certificate_view

    _show(
        lambda c: certificate_view(c, name, namespace), output, kubeconfig, context, request_timeout
    )
