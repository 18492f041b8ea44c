"""Argo CD Applications: sync status, health, and the last sync operation."""

from __future__ import annotations

from collections.abc import Iterator

from labctl.checks._objects import shown, status
from labctl.checks.model import Severity, Subject, Verdict, check
from labctl.cluster.snapshot import Obj, Snapshot

Results = Iterator[tuple[Subject, Verdict]]

HOME = "argocd"  # where Applications live unless apps-in-any-namespace is on
HINT_DIFF = "labctl troubleshoot argocd {name}; labctl argocd sync {name} (or fix Git)"


def _apps(snap: Snapshot) -> list[Obj]:
    return snap.require("applications.argoproj.io")


@check(
    "LAB-401",
    "argocd-app-out-of-sync",
    area="argocd",
    severity=Severity.WARNING,
    summary="An Application's live state differs from Git (sync status OutOfSync).",
    hint=HINT_DIFF,
)
def app_out_of_sync(snap: Snapshot) -> Results:
    for app in _apps(snap):
        sync = (status(app).get("sync") or {}).get("status")
        yield app, f"Application {shown(app, HOME)} is OutOfSync" if sync == "OutOfSync" else None


@check(
    "LAB-402",
    "argocd-app-degraded",
    area="argocd",
    severity=Severity.CRITICAL,
    summary="An Application's health is Degraded or Missing.",
    hint="labctl troubleshoot argocd {name} names the unhealthy resources",
)
def app_degraded(snap: Snapshot) -> Results:
    for app in _apps(snap):
        health = status(app).get("health") or {}
        state = health.get("status")
        if state not in ("Degraded", "Missing"):
            yield app, None
            continue
        why = f": {health['message']}" if health.get("message") else ""
        yield app, f"Application {shown(app, HOME)} is {state}{why}"


@check(
    "LAB-403",
    "argocd-app-health-unknown",
    area="argocd",
    severity=Severity.WARNING,
    summary="An Application's health is Unknown, or its sync status is Unknown (Argo CD could "
    "not compare it with Git).",
    hint="labctl argocd refresh {name} --hard; check the repo-server logs",
)
def app_health_unknown(snap: Snapshot) -> Results:
    for app in _apps(snap):
        st = status(app)
        health = (st.get("health") or {}).get("status")
        sync = (st.get("sync") or {}).get("status")
        unknown = [
            what for what, v in (("health", health), ("sync", sync)) if v in (None, "Unknown")
        ]
        yield (
            app,
            f"Application {shown(app, HOME)} has {' and '.join(unknown)} Unknown"
            if unknown
            else None,
        )


@check(
    "LAB-404",
    "argocd-sync-failed",
    area="argocd",
    severity=Severity.CRITICAL,
    summary="An Application's last sync operation ended Failed or Error.",
    hint="labctl troubleshoot argocd {name} shows what failed; then labctl argocd sync {name}",
)
def app_sync_failed(snap: Snapshot) -> Results:
    for app in _apps(snap):
        operation = status(app).get("operationState") or {}
        phase = operation.get("phase")
        if phase not in ("Failed", "Error"):
            yield app, None
            continue
        why = f": {operation['message']}" if operation.get("message") else ""
        yield app, f"Application {shown(app, HOME)} last sync {phase}{why}"
