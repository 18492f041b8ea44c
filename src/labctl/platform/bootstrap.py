"""`labctl bootstrap`: the first install, planned then performed.

0. With `bootstrap/calico-install.yaml` (cni: calico) and unless Calico's operator runs: apply
   it (namespace, installer account, values, a host-network Helm Job), wait for the Job, for
   every node to be Ready and for CoreDNS, delete the installer's binding. Argo CD adopts
   Calico later.
1. Apply `bootstrap/argocd-install.yaml` (namespace, installer account, values, Helm Job) unless
   Argo CD already runs; wait for the Job and for Argo CD's server and repo server.
2. Delete the installer's cluster-admin binding: Argo CD manages itself from here on.
3. Apply `bootstrap/root.yaml` (the root AppProject and the app-of-apps Application).
4. Poll the Applications until every one in the tree is Synced and Healthy, showing progress.

When the run stops before step 2 (a timeout, a failure, Ctrl-C), `installer_cleanup` removes the
cluster-admin binding once the install Job no longer runs, or says loudly that it is still there
and how to remove it: a cluster-admin token must not outlive the install by accident.

The plan is pure (`plan_bootstrap` reads nothing but its arguments); `step_applier` performs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from labctl.actions.plan import ActionFailed, Plan, Retry, Step
from labctl.platform.bootstrap_manifests import CALICO_INSTALLER, INSTALLER
from labctl.platform.component import ARGO_CD, TIGERA_OPERATOR
from labctl.platform.components import argocd, calico
from labctl.platform.objects import Obj

if TYPE_CHECKING:
    from lightkube import Client

INSTALL_FILE = "bootstrap/argocd-install.yaml"
CALICO_FILE = "bootstrap/calico-install.yaml"
CALICO_OPERATOR = "tigera-operator"  # the chart's Deployment
ROOT_FILE = "bootstrap/root.yaml"
APPS_DIR = "apps"
ARGOCD_DEPLOYMENTS = ("argocd-server", "argocd-repo-server")
# What a person must do for an Application to become healthy (docs/platform.md, "First install").
HINTS = {
    "vault": "Vault waits to be initialized once: kubectl -n vault exec vault-0 -- "
    "vault operator init -recovery-shares=5 -recovery-threshold=3",
    "vault-config": "the PostSync Job needs the vault-configure-token Secret (docs/platform.md)",
}


@dataclass(frozen=True)
class Tree:
    """What bootstrap needs from a rendered tree."""

    install: list[Obj]
    root: list[Obj]
    applications: list[str]
    calico: list[Obj] = field(default_factory=list)  # empty with cni: none


def _documents(path: Path) -> list[Obj]:
    try:
        return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    except OSError as error:
        raise ActionFailed(
            f"cannot read {path}: {error.strerror}; run `labctl render` first"
        ) from None


def read_tree(directory: Path) -> Tree:
    apps = []
    for path in sorted((directory / APPS_DIR).glob("*.yaml")):
        apps += [d["metadata"]["name"] for d in _documents(path) if d.get("kind") == "Application"]
    calico_file = directory / CALICO_FILE
    return Tree(
        install=_documents(directory / INSTALL_FILE),
        root=_documents(directory / ROOT_FILE),
        applications=[argocd.ROOT, *sorted(apps)],
        calico=_documents(calico_file) if calico_file.is_file() else [],
    )


def _key(obj: Obj) -> tuple[str, str | None, str]:
    meta = obj["metadata"]
    return (obj["kind"], meta.get("namespace"), meta["name"])


def _apply_step(obj: Obj, reason: str, existing: set[tuple[str, str | None, str]]) -> Step:
    kind, namespace, name = _key(obj)
    verb = "create"
    if (kind, namespace, name) in existing:
        # A Job's pod template is immutable: an earlier (failed) install Job is replaced.
        verb = "recreate" if kind == "Job" else "update"
    return Step(verb, kind, namespace, name, reason, body=obj)


def _install_reason(obj: Obj) -> str:
    reasons = {
        "Job": f"helm upgrade --install {ARGO_CD.name} {ARGO_CD.version}, inside the cluster",
        "ClusterRoleBinding": "cluster-admin for the installer, removed once Argo CD runs",
        "ConfigMap": "the chart values Argo CD later manages itself with",
    }
    return reasons.get(obj["kind"], "for the Argo CD install")


def _calico_reason(obj: Obj) -> str:
    reasons = {
        "Job": f"Calico's CRDs, then helm upgrade --install {TIGERA_OPERATOR.name} "
        f"{TIGERA_OPERATOR.version}, on the host network",
        "ClusterRoleBinding": "cluster-admin for the installer, removed once Calico runs",
        "ConfigMap": "the chart values Argo CD later manages Calico with",
    }
    return reasons.get(obj["kind"], "for the Calico install")


def _calico_steps(tree: Tree, have: set[tuple[str, str | None, str]]) -> list[Step]:
    steps = [_apply_step(o, _calico_reason(o), have) for o in tree.calico]
    steps += [
        Step("wait", "Job", calico.NAMESPACE, CALICO_INSTALLER, "until Helm has installed Calico"),
        Step("wait", "Node", None, "*", "until every node is Ready (the CNI runs)"),
        # The Argo CD install Job resolves the chart repository through cluster DNS.
        Step("wait", "Deployment", "kube-system", "coredns", "until cluster DNS runs"),
        Step(
            "delete",
            "ClusterRoleBinding",
            None,
            CALICO_INSTALLER,
            "the installer's cluster-admin is no longer needed",
        ),
    ]
    return steps


def plan_bootstrap(
    tree: Tree,
    existing: Iterable[tuple[str, str | None, str]],
    argocd_running: bool,
    calico_running: bool = False,
) -> Plan:
    """The steps, given what already exists (kind, namespace, name) and whether Argo CD and
    Calico run."""
    have = set(existing)
    steps: list[Step] = []
    warnings: list[str] = []
    if tree.calico and calico_running:
        warnings.append("Calico already runs: its install is skipped (Argo CD manages it)")
    elif tree.calico:
        steps += _calico_steps(tree, have)
    if argocd_running:
        warnings.append("Argo CD already runs: its install is skipped (it manages itself)")
    else:
        steps += [_apply_step(o, _install_reason(o), have) for o in tree.install]
        steps.append(
            Step("wait", "Job", argocd.NAMESPACE, INSTALLER, "until Helm has installed Argo CD")
        )
        steps += [
            Step("wait", "Deployment", argocd.NAMESPACE, d, "until available")
            for d in ARGOCD_DEPLOYMENTS
        ]
        steps.append(
            Step(
                "delete",
                "ClusterRoleBinding",
                None,
                INSTALLER,
                "the installer's cluster-admin is no longer needed",
            )
        )
    steps += [_apply_step(o, "the app-of-apps root", have) for o in tree.root]
    steps.append(
        Step(
            "wait",
            "Application",
            argocd.NAMESPACE,
            "*",
            f"until all {len(tree.applications)} Applications are Synced and Healthy",
            body={"names": tree.applications},
        )
    )
    for obj in tree.root:
        source = obj.get("spec", {}).get("source") if obj["kind"] == "Application" else None
        if source:
            where = f"{source['repoURL']} ({source['targetRevision']}, {source['path']})"
            warnings.append(f"Argo CD syncs from {where}: push the rendered tree there first")
    if (("Application", argocd.NAMESPACE, argocd.ROOT)) in have:
        warnings.append("the root Application exists already: it is updated in place")
    return Plan(title="bootstrap the platform", steps=tuple(steps), warnings=tuple(warnings))


def read_existing(client: Client, tree: Tree) -> tuple[set[tuple[str, str | None, str]], bool]:
    """Which of the tree's bootstrap objects exist, and whether Argo CD's server runs."""
    from lightkube import ApiError

    existing = set()
    for obj in [*tree.calico, *tree.install, *tree.root]:
        kind, namespace, name = _key(obj)
        try:
            client.get(_resource(obj), name, namespace=namespace)
            existing.add((kind, namespace, name))
        except ApiError as error:
            if error.status.code != 404:
                raise
    return existing, _available(client, "argocd-server")


def calico_running(client: Client) -> bool:
    return _available(client, CALICO_OPERATOR, calico.NAMESPACE)


def _resource(obj: Obj) -> Any:
    from lightkube.core.resource_registry import resource_registry

    import labctl.cluster.crds  # noqa: F401  registers Application and AppProject

    return resource_registry.load(obj["apiVersion"], obj["kind"])


def _available(client: Client, deployment: str, namespace: str = argocd.NAMESPACE) -> bool:
    from lightkube import ApiError
    from lightkube.resources.apps_v1 import Deployment

    try:
        found = client.get(Deployment, deployment, namespace=namespace)
    except ApiError:
        return False
    status = found.status
    return bool(status and (status.availableReplicas or 0) >= 1)


def step_applier(
    client: Client, report: Callable[[list[dict[str, str]]], None] | None = None
) -> Callable[[Step], str | None]:
    """Perform one step; `wait` steps raise `Retry` until their condition holds."""

    def apply(step: Step) -> str | None:
        if step.verb in ("create", "update"):
            return _apply(client, step)
        if step.verb == "recreate":
            return _recreate_job(client, step)
        if step.verb == "delete":
            return _delete(client, step)
        if step.kind == "Job":
            return _job_done(client, step)
        if step.kind == "Node":
            return _nodes_ready(client)
        if step.kind == "Deployment":
            if not _available(client, step.name, step.namespace or argocd.NAMESPACE):
                raise Retry("not available yet")
            return "available"
        if step.kind == "Application":
            return _apps_ready(client, list((step.body or {})["names"]), report)
        raise ValueError(f"unknown step {step.verb} {step.kind}")

    return apply


def _apply(client: Client, step: Step) -> str:
    from lightkube import ApiError, codecs
    from lightkube.types import PatchType

    body = dict(step.body or {})
    try:
        client.create(codecs.from_dict(body))
        return "created"
    except ApiError as error:
        if error.status.code != 409:
            raise
    client.patch(
        _resource(body), step.name, body, namespace=step.namespace, patch_type=PatchType.MERGE
    )
    return "updated"


def _recreate_job(client: Client, step: Step) -> str:
    from lightkube import ApiError, codecs
    from lightkube.resources.batch_v1 import Job
    from lightkube.types import CascadeType

    try:
        client.delete(Job, step.name, namespace=step.namespace, cascade=CascadeType.FOREGROUND)
    except ApiError as error:
        if error.status.code != 404:
            raise
    try:
        client.create(codecs.from_dict(dict(step.body or {})))
    except ApiError as error:
        if error.status.code == 409:
            raise Retry("the previous install Job is still being deleted") from None
        raise
    return "replaced"


def _delete(client: Client, step: Step) -> str:
    from lightkube import ApiError
    from lightkube.resources.rbac_authorization_v1 import ClusterRoleBinding

    try:
        client.delete(ClusterRoleBinding, step.name)
    except ApiError as error:
        if error.status.code == 404:
            return "already gone"
        raise
    return "deleted"


@contextmanager
def installer_cleanup(client: Client, plan: Plan, say: Callable[[str], None]) -> Iterator[None]:
    """Run the plan inside this: if it stops with the installer's binding still in place (it
    created it and had not deleted it yet), clean up after it or say what is left."""
    unbinds = any(s.verb == "delete" and s.kind == "ClusterRoleBinding" for s in plan.steps)
    try:
        yield
    except BaseException:
        if unbinds and (message := remove_installer_binding(client)):
            say(message)
        raise


def remove_installer_binding(client: Client) -> str:
    """Delete the installer's cluster-admin binding unless its Job still runs (deleting it then
    would break Helm mid-install); what was done, or what is left and how to remove it ('' when
    there is no binding)."""
    from lightkube import ApiError
    from lightkube.resources.batch_v1 import Job
    from lightkube.resources.rbac_authorization_v1 import ClusterRoleBinding

    remove = f"kubectl delete clusterrolebinding {INSTALLER}"
    left = f"WARNING: ClusterRoleBinding {INSTALLER} (cluster-admin) is still in place"
    try:
        client.get(ClusterRoleBinding, INSTALLER)
        try:
            job = client.get(Job, INSTALLER, namespace=argocd.NAMESPACE)
            running = _job_running(job)
        except ApiError as error:
            if error.status.code != 404:
                raise
            running = False
        if running:
            return (
                f"{left}: the install Job argocd/{INSTALLER} still runs with it. Once it has "
                f"finished, re-run labctl bootstrap (it removes it) or: {remove}"
            )
        client.delete(ClusterRoleBinding, INSTALLER)
    except ApiError as error:
        if error.status.code == 404:
            return ""
        return f"{left} ({error.status.code} {error.status.message}): remove it: {remove}"
    return (
        f"removed ClusterRoleBinding {INSTALLER} (the installer's cluster-admin): the run "
        "stopped before it would have; labctl bootstrap creates it again if it re-installs"
    )


def _job_running(job: Any) -> bool:
    """Not finished yet: no Complete or Failed condition and no pod succeeded."""
    status = job.status
    conditions = (status.conditions if status else None) or []
    finished = any(c.type in ("Complete", "Failed") and c.status == "True" for c in conditions)
    return not finished and not (status and status.succeeded)


def _job_done(client: Client, step: Step) -> str:
    from lightkube.resources.batch_v1 import Job

    what = "Calico" if step.name == CALICO_INSTALLER else "Argo CD"
    job = client.get(Job, step.name, namespace=step.namespace)
    status = job.status
    for condition in (status.conditions if status else None) or []:
        if condition.type == "Failed" and condition.status == "True":
            raise ActionFailed(
                f"the {what} install Job failed ({condition.reason}): "
                f"kubectl -n {step.namespace} logs job/{step.name} --all-containers"
            )
    if status and (status.succeeded or 0) >= 1:
        return f"{what} installed"
    raise Retry(f"Helm is installing {what}")


def _nodes_ready(client: Client) -> str:
    from lightkube.resources.core_v1 import Node

    nodes = list(client.list(Node))
    waiting = [
        (n.metadata.name if n.metadata else None) or "?"
        for n in nodes
        if not any(
            c.type == "Ready" and c.status == "True"
            for c in ((n.status.conditions if n.status else None) or [])
        )
    ]
    if not nodes or waiting:
        raise Retry(f"nodes not Ready yet: {', '.join(waiting) or 'none listed'}")
    return f"all {len(nodes)} nodes Ready"


def app_progress(apps: list[dict[str, Any]], names: list[str]) -> list[dict[str, str]]:
    """One row per expected Application: its sync and health (Missing when not created yet)."""
    by_name = {a["metadata"]["name"]: a for a in apps}
    rows = []
    for name in names:
        status = (by_name.get(name) or {}).get("status") or {}
        rows.append(
            {
                "name": name,
                "sync": (status.get("sync") or {}).get(
                    "status", "Missing" if name not in by_name else "Unknown"
                ),
                "health": (status.get("health") or {}).get(
                    "status", "Missing" if name not in by_name else "Unknown"
                ),
            }
        )
    return rows


def _apps_ready(
    client: Client, names: list[str], report: Callable[[list[dict[str, str]]], None] | None
) -> str:
    from labctl.cluster.crds import Application

    apps = [dict(a) for a in client.list(Application, namespace=argocd.NAMESPACE)]
    rows = app_progress(apps, names)
    if report is not None:
        report(rows)
    waiting = [r for r in rows if (r["sync"], r["health"]) != ("Synced", "Healthy")]
    if waiting:
        shown = ", ".join(f"{r['name']} ({r['sync']}/{r['health']})" for r in waiting[:4])
        more = f" and {len(waiting) - 4} more" if len(waiting) > 4 else ""
        hints = [HINTS[r["name"]] for r in waiting if r["name"] in HINTS and r["sync"] != "Missing"]
        hint = f" ({hints[0]})" if hints else ""
        raise Retry(
            f"{len(rows) - len(waiting)}/{len(rows)} ready; waiting for {shown}{more}{hint}"
        )
    return f"all {len(rows)} Applications Synced and Healthy"
