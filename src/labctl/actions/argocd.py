"""Argo CD Applications: list, refresh and sync through the Kubernetes API (ops-apis.md section 3).

Refresh sets the `argocd.argoproj.io/refresh` annotation and waits until the application
controller removes it. Sync patches the top-level `operation` field, done right: only while no
operation is running (checked when planning, and again right before the patch, which carries the
object's resourceVersion so a concurrent change answers 409 instead of being overwritten), with an
explicit revision (an empty one can reuse a stale revision), and waiting for the controller to
clear `operation` and record the result in `status.operationState`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labctl.actions.kube import api_error_message, apply_common
from labctl.actions.plan import ActionFailed, Plan, Retry, Step

if TYPE_CHECKING:
    from lightkube import Client

REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
RUNNING_PHASES = ("Running", "Terminating")
POLL_SECONDS = 2.0
App = dict[str, Any]


@dataclass(frozen=True)
class AppRow:
    name: str
    project: str
    sync: str
    health: str
    revision: str
    target: str
    operation: str
    message: str

    @classmethod
    def of(cls, app: App) -> AppRow:
        status = app.get("status") or {}
        state = status.get("operationState") or {}
        running = _running(app)
        return cls(
            name=app["metadata"]["name"],
            project=(app.get("spec") or {}).get("project", ""),
            sync=(status.get("sync") or {}).get("status", "Unknown"),
            health=(status.get("health") or {}).get("status", "Unknown"),
            revision=str((status.get("sync") or {}).get("revision") or "")[:8],
            target=", ".join(target_revisions(app)),
            operation=running or state.get("phase", ""),
            message=(status.get("health") or {}).get("message") or state.get("message") or "",
        )


def read_apps(client: Client, namespace: str) -> list[App]:
    from labctl.cluster.crds import Application

    return [dict(a) for a in client.list(Application, namespace=namespace)]


def read_app(client: Client, name: str, namespace: str) -> App:
    from labctl.cluster.crds import Application

    # Generic resources are dicts of the object as served (top-level `operation` included).
    return dict(client.get(Application, name, namespace=namespace))


def _sources(app: App) -> list[dict[str, Any]]:
    spec = app.get("spec") or {}
    return list(spec.get("sources") or [spec.get("source") or {}])


def target_revisions(app: App) -> list[str]:
    """The revision of each source, as the spec asks for it (HEAD when unset)."""
    return [str(s.get("targetRevision") or "HEAD") for s in _sources(app)]


def plan_refresh(app: App, *, hard: bool = False) -> Plan:
    name, namespace = app["metadata"]["name"], app["metadata"]["namespace"]
    mode = "hard" if hard else "normal"
    why = "invalidate the manifest cache and re-read Git" if hard else "re-compare with Git"
    patch = {"metadata": {"annotations": {REFRESH_ANNOTATION: mode}}}
    steps = (
        Step("refresh", "Application", namespace, name, f"{mode}: {why}", patch),
        Step("wait", "Application", namespace, name, "until the controller removes the annotation"),
    )
    return Plan(f"{mode} refresh of {name}", steps)


def plan_sync(
    app: App,
    *,
    revision: str | None = None,
    prune: bool = False,
    wait: bool = False,
    reason: str = "labctl",
) -> Plan:
    name, namespace = app["metadata"]["name"], app["metadata"]["namespace"]
    refusals = []
    if running := _running(app):
        refusals.append(
            f"{name} has an operation {running}: wait for it (labctl argocd sync {name} --wait "
            "after it ends) or terminate it in Argo CD (argocd app terminate-op)"
        )
    if revision and not any(_is_git(s) for s in _sources(app)):
        refusals.append(
            f"--revision {revision} names a Git revision, but {name} has only Helm chart "
            "sources (their versions are pinned in the rendered tree)"
        )
    operation = sync_operation(app, revision=revision, prune=prune, reason=reason)
    revisions = operation["sync"].get("revisions") or [operation["sync"]["revision"]]
    steps = [
        Step(
            "sync",
            "Application",
            namespace,
            name,
            f"to {', '.join(revisions)}{' with prune' if prune else ''}",
            {"operation": operation},
        )
    ]
    if wait:
        steps.append(Step("wait", "Application", namespace, name, "until the sync has finished"))
    warnings: tuple[str, ...] = ()
    if prune:
        warnings = ("prune deletes resources that are no longer in Git",)
    return Plan(f"sync {name}", tuple(steps), tuple(refusals), warnings)


def sync_operation(
    app: App, *, revision: str | None, prune: bool, reason: str = "labctl"
) -> dict[str, Any]:
    """The `operation` object (struct Operation) the controller executes."""
    spec = app.get("spec") or {}
    policy = spec.get("syncPolicy") or {}
    sync: dict[str, Any] = {"prune": prune}
    if spec.get("sources"):
        # A revision names a Git commit, branch or tag: Helm chart sources keep their pinned
        # chart versions (a git revision is no chart version).
        sync["revisions"] = [
            revision if revision and _is_git(source) else pinned
            for source, pinned in zip(_sources(app), target_revisions(app), strict=True)
        ]
    else:
        sync["revision"] = revision or target_revisions(app)[0]
    if policy.get("syncOptions"):
        sync["syncOptions"] = list(policy["syncOptions"])
    operation: dict[str, Any] = {
        "initiatedBy": {"username": "labctl"},
        "info": [{"name": "reason", "value": reason}],
        "sync": sync,
    }
    if policy.get("retry"):
        operation["retry"] = policy["retry"]
    return operation


def _is_git(source: dict[str, Any]) -> bool:
    return not source.get("chart")


def _running(app: App) -> str:
    """'running' or 'pending' when an operation is in flight, else ''."""
    state = (app.get("status") or {}).get("operationState") or {}
    if state.get("phase") in RUNNING_PHASES:
        return str(state["phase"]).lower()
    return "pending" if app.get("operation") else ""


# --- execution -----------------------------------------------------------------------------


def step_applier(client: Client, poll: float = POLL_SECONDS) -> Callable[[Step], str | None]:
    """The `apply` function for refresh and sync plans."""
    started: dict[str, str | None] = {}

    def apply(step: Step) -> str | None:
        if step.verb == "refresh":
            return apply_common(client, Step("patch", *_fields(step)))
        if step.verb == "sync":
            started[step.name] = _state(_read(client, step)).get("startedAt")
            return _start_sync(client, step)
        if step.verb == "wait" and step.name in started:
            return _sync_finished(_read(client, step), started[step.name], poll)
        if step.verb == "wait":
            return _refreshed(_read(client, step), poll)
        return apply_common(client, step)

    return apply


def _fields(step: Step) -> tuple[Any, ...]:
    return (step.kind, step.namespace, step.name, step.reason, step.body)


def _read(client: Client, step: Step) -> App:
    from lightkube import ApiError

    try:
        return read_app(client, step.name, step.namespace or "argocd")
    except ApiError as error:
        raise ActionFailed(f"reading {step.target}: {api_error_message(error)}") from error


def _state(app: App) -> dict[str, Any]:
    return dict((app.get("status") or {}).get("operationState") or {})


def _start_sync(client: Client, step: Step) -> str:
    from lightkube import ApiError
    from lightkube.types import PatchType

    from labctl.cluster.crds import Application

    app = _read(client, step)
    if running := _running(app):
        raise ActionFailed(f"{step.name} has an operation {running} now: not starting another")
    body = {
        "metadata": {"resourceVersion": app["metadata"]["resourceVersion"]},
        **(step.body or {}),
    }
    try:
        client.patch(
            Application, step.name, body, namespace=step.namespace, patch_type=PatchType.MERGE
        )
    except ApiError as error:
        raise ActionFailed(f"starting the sync: {api_error_message(error)}") from error
    return "operation set"


def _refreshed(app: App, poll: float) -> str:
    annotations = app["metadata"].get("annotations") or {}
    if REFRESH_ANNOTATION in annotations:
        raise Retry("the controller has not refreshed it yet", poll)
    status = app.get("status") or {}
    sync = (status.get("sync") or {}).get("status", "Unknown")
    health = (status.get("health") or {}).get("status", "Unknown")
    return f"refreshed: {sync}, {health}"


def _sync_finished(app: App, started_before: str | None, poll: float) -> str:
    state = _state(app)
    if app.get("operation") or state.get("startedAt") == started_before:
        raise Retry("waiting for the controller to start the sync", poll)
    phase = state.get("phase", "")
    if phase in RUNNING_PHASES:
        raise Retry(f"sync {phase.lower()}: {state.get('message', '')}".rstrip(": "), poll)
    revision = str((state.get("syncResult") or {}).get("revision") or "")[:8]
    if phase != "Succeeded":
        raise ActionFailed(f"sync {phase or 'ended'}: {state.get('message', 'no message')}")
    health = ((app.get("status") or {}).get("health") or {}).get("status", "Unknown")
    return f"synced to {revision or 'the target revision'}; health {health}"
