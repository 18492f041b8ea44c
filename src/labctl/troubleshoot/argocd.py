"""`troubleshoot argocd`: the Application's status (what `kubectl get application -o yaml | grep
-A20 status:` shows), its unhealthy or out-of-sync resources, and the next command."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from labctl.troubleshoot import causes, reads
from labctl.troubleshoot.view import Cause, View, table

if TYPE_CHECKING:
    from lightkube import Client

Obj = dict[str, Any]


def argocd_view(client: Client, name: str, namespace: str, now: datetime | None = None) -> View:
    from labctl.actions.argocd import AppRow, read_app

    now = now or reads.now()
    app = read_app(client, name, namespace)
    app.setdefault("kind", "Application")
    row = AppRow.of(app)
    status = app.get("status") or {}
    state = status.get("operationState") or {}
    view = View(f"Application {namespace}/{name}")
    view.facts = [
        ("Sync", f"{row.sync} (target {row.target}, at {row.revision or '?'})"),
        ("Health", f"{row.health}" + (f": {row.message}" if row.message else "")),
        ("Last operation", _operation(state, now)),
        ("Destination", _destination(app)),
    ]
    view.section(
        "Conditions",
        [f"{c.get('type')}: {c.get('message', '')}" for c in status.get("conditions") or []],
    )
    view.section("Resources not Synced or not Healthy", _resources(status))
    events = reads.events_for(client, "Application", name, namespace)
    view.section("Events (oldest first)", reads.event_lines(events, now))
    view.causes = causes.from_checks(
        {"applications.argoproj.io": [app]},
        ["argocd"],
        {f"Application/{namespace}/{name}"},
        here=causes.view_command("argocd", name),
    ) + _condition_causes(status, name)
    return view


def _operation(state: Obj, now: datetime) -> str:
    if not state:
        return "none recorded"
    finished = state.get("finishedAt")
    when = f", {reads.age(finished, now)} ago" if finished else ""
    return f"{state.get('phase', '?')}{when}: {state.get('message', '')}".rstrip(": ")


def _destination(app: Obj) -> str:
    destination = (app.get("spec") or {}).get("destination") or {}
    where = destination.get("name") or destination.get("server") or "?"
    return f"{where}, namespace {destination.get('namespace', '-')}"


def _resources(status: Obj) -> list[str]:
    rows = [["KIND", "NAMESPACE/NAME", "SYNC", "HEALTH", "MESSAGE"]]
    for resource in status.get("resources") or []:
        health = resource.get("health") or {}
        if resource.get("status") == "Synced" and health.get("status", "Healthy") == "Healthy":
            continue
        rows.append(
            [
                str(resource.get("kind")),
                f"{resource.get('namespace', '')}/{resource.get('name')}",
                str(resource.get("status", "?")),
                str(health.get("status", "-")),
                str(health.get("message", "")),
            ]
        )
    return table(rows) if len(rows) > 1 else []


def _condition_causes(status: Obj, name: str) -> list[Cause]:
    found = []
    for condition in status.get("conditions") or []:
        kind = str(condition.get("type", ""))
        if kind == "ComparisonError":
            found.append(
                Cause(
                    "argocd",
                    f"Argo CD cannot render or compare it: {condition.get('message', '')}",
                    f"fix the source in Git, then labctl argocd refresh {name} --hard",
                )
            )
        elif kind.endswith("Error"):
            found.append(
                Cause(
                    "argocd",
                    f"{kind}: {condition.get('message', '')}",
                    f"labctl argocd sync {name} --wait after fixing it",
                )
            )
    return found
