"""An Argo CD Application and a scripted application controller for FakeKube."""

from __future__ import annotations

from typing import Any

from tests.support.fake_kube import FakeKube, Obj, Reply, Request, now_iso

REFRESH = "argocd.argoproj.io/refresh"


def application(
    name: str,
    *,
    sync: str = "Synced",
    health: str = "Healthy",
    phase: str | None = "Succeeded",
    operation: Obj | None = None,
    target: str = "main",
    **spec: Any,
) -> Obj:
    app: Obj = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {
            "project": "platform",
            "source": {"repoURL": "https://git.example.com/lab.git", "targetRevision": target},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": name},
            **spec,
        },
        "status": {
            "sync": {"status": sync, "revision": "0123456789abcdef"},
            "health": {"status": health},
        },
    }
    if phase:
        app["status"]["operationState"] = {
            "phase": phase,
            "startedAt": "2026-01-01T00:00:00Z",
            "message": "successfully synced" if phase == "Succeeded" else phase,
        }
    if operation:
        app["operation"] = operation
    return app


def controller(
    fake: FakeKube, name: str, *, after: int = 2, result: str = "Succeeded", refreshes: bool = True
) -> list[Request]:
    """Answer GETs of the Application; on the `after`-th read, act like the controller:
    remove the refresh annotation and run a pending operation to `result`."""
    reads: list[Request] = []

    def handler(request: Request) -> Reply:
        reads.append(request)
        current = fake.get("Application", name, "argocd")
        assert current is not None
        if len(reads) % after == 0:
            patch: Obj = {"status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}}
            if refreshes:
                patch["metadata"] = {"annotations": {REFRESH: None}}
            if current.get("operation"):
                patch["operation"] = None
                patch["status"]["operationState"] = {
                    "phase": result,
                    "startedAt": now_iso(),
                    "message": "sync failed: one or more objects failed to apply"
                    if result != "Succeeded"
                    else "successfully synced (all tasks run)",
                    "syncResult": {"revision": "fedcba9876543210"},
                    "operation": current["operation"],
                }
            current = fake.update("Application", name, "argocd", patch)
        return Reply(body=current)

    fake.route("GET", rf"/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/{name}", handler)
    return reads
