"""`labctl backup restore`: a Velero Restore, refused over a namespace that holds workloads.

Velero skips objects that already exist (existingResourcePolicy `none`), so restoring into a live
namespace leaves a mix of old and restored objects that looks like success. The plan refuses that
unless forced; `--into` restores into a new namespace through `namespaceMapping` instead (the
runbook's "restore to a different namespace (test)").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from labctl.actions.plan import ActionFailed, Plan, Retry, Step
from labctl.actions.velero import (
    RESTORE_FINAL,
    USABLE,
    VELERO_NAMESPACE,
    BackupRow,
    backup_row,
    covers,
    progress_text,
)

if TYPE_CHECKING:
    from lightkube import Client


@dataclass(frozen=True)
class NamespaceState:
    """What a restore target namespace holds now (`exists` False: not there)."""

    name: str
    exists: bool
    workloads: tuple[str, ...] = ()


def restore_name(backup: str, now: datetime) -> str:
    return f"{backup[:40]}-restore-{now:%Y%m%d%H%M%S}"


def read_backup(client: Client, name: str) -> BackupRow:
    from lightkube import ApiError

    from labctl.actions.kube import status_code
    from labctl.cluster.crds import Backup

    try:
        return backup_row(client.get(Backup, name, namespace=VELERO_NAMESPACE))
    except ApiError as error:
        if status_code(error) == 404:
            raise ActionFailed(
                f"backup {name!r} not found in namespace {VELERO_NAMESPACE}"
            ) from error
        raise


def read_namespace(client: Client, name: str) -> NamespaceState:
    """Whether `name` exists, and its pods, controllers and volume claims."""
    from lightkube import ApiError
    from lightkube.resources.apps_v1 import DaemonSet, Deployment, StatefulSet
    from lightkube.resources.core_v1 import Namespace, PersistentVolumeClaim, Pod

    from labctl.actions.kube import status_code

    try:
        client.get(Namespace, name)
    except ApiError as error:
        if status_code(error) == 404:
            return NamespaceState(name, exists=False)
        raise
    found: list[str] = []
    for kind in (Deployment, StatefulSet, DaemonSet, PersistentVolumeClaim, Pod):
        found += [f"{kind.__name__} {o.metadata.name}" for o in client.list(kind, namespace=name)]  # type: ignore[attr-defined]
    return NamespaceState(name, exists=True, workloads=tuple(found))


def restore_body(
    name: str, backup: str, namespaces: Sequence[str], mapping: dict[str, str]
) -> dict[str, Any]:
    spec: dict[str, Any] = {"backupName": backup, "includedNamespaces": list(namespaces)}
    if mapping:
        spec["namespaceMapping"] = dict(mapping)
    return {
        "apiVersion": "velero.io/v1",
        "kind": "Restore",
        "metadata": {
            "name": name,
            "namespace": VELERO_NAMESPACE,
            "labels": {"app.kubernetes.io/managed-by": "labctl"},
        },
        "spec": spec,
    }


def plan_restore(
    name: str,
    backup: BackupRow,
    namespaces: Sequence[str],
    targets: Sequence[NamespaceState],
    *,
    into: str | None = None,
) -> Plan:
    """Create the Restore and wait for it; refuse unusable backups and live targets."""
    if into is not None and len(namespaces) != 1:
        raise ValueError("--into takes exactly one --namespace to restore")
    refusals, warnings = [], []
    if backup.phase not in USABLE:
        refusals.append(f"backup {backup.name} is {backup.phase}, not usable for a restore")
    elif backup.phase == "PartiallyFailed":
        warnings.append(f"backup {backup.name} is PartiallyFailed: some items are missing")
    refusals += [
        f"backup {backup.name} does not include namespace {ns} ({', '.join(backup.namespaces)})"
        for ns in namespaces
        if not covers(backup, ns)
    ]
    for target in targets:
        if target.workloads:
            shown = ", ".join(target.workloads[:5]) + (" ..." if len(target.workloads) > 5 else "")
            refusals.append(
                f"namespace {target.name} exists and holds {len(target.workloads)} workloads "
                f"({shown}); Velero would skip what exists and mix old and restored objects: "
                "restore --into a new namespace, or delete it first"
            )
        elif target.exists:
            warnings.append(f"namespace {target.name} exists (empty); objects are restored into it")
    mapping = {namespaces[0]: into} if into else {}
    where = f"into {into} (namespaceMapping)" if into else "into the original namespaces"
    body = restore_body(name, backup.name, namespaces, mapping)
    steps = (
        Step(
            "create",
            "Restore",
            VELERO_NAMESPACE,
            name,
            f"{', '.join(namespaces)} from {backup.name} {where}",
            body,
        ),
        Step(
            "wait",
            "Restore",
            VELERO_NAMESPACE,
            name,
            "until a final phase; only Completed succeeds",
        ),
    )
    title = f"restore {', '.join(namespaces)} from {backup.name}"
    return Plan(title, steps, tuple(refusals), tuple(warnings))


def step_applier(client: Client) -> Callable[[Step], str | None]:
    def apply(step: Step) -> str | None:
        if step.verb == "create":
            from labctl.cluster.crds import Restore

            client.create(Restore.from_dict(dict(step.body or {})))
            return "created"
        if step.verb == "wait":
            return wait_for_restore(client, step.name)
        raise ValueError(f"unknown step verb {step.verb!r}")

    return apply


def wait_for_restore(client: Client, name: str, namespace: str = VELERO_NAMESPACE) -> str:
    """One poll: `Retry` while Velero works, the outcome when Completed, else `ActionFailed`."""
    from labctl.cluster.crds import Restore

    status: Any = client.get(Restore, name, namespace=namespace).status or {}
    phase = status.get("phase") or "New"
    progress = status.get("progress") or {}
    items = progress_text(progress.get("itemsRestored"), progress.get("totalItems"))
    if phase not in RESTORE_FINAL:
        raise Retry(f"{phase}, {items or '?'} items restored")
    errors, warnings = status.get("errors", 0), status.get("warnings", 0)
    counts = f"{items or 'no'} items, {errors} errors, {warnings} warnings"
    if phase != "Completed":
        reason = f" ({status['failureReason']})" if status.get("failureReason") else ""
        raise ActionFailed(
            f"restore {name} ended {phase}{reason}: {counts}; "
            f"see `velero restore describe {name} --details` and `velero restore logs {name}`"
        )
    return f"Completed: {counts}"
