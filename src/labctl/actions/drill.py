"""`labctl backup drill`: prove that the newest backup restores, then throw the copy away.

The newest Completed backup holding the namespace is restored into `<namespace>-drill-<time>`
through `namespaceMapping`. When its pods are ready, the restored database is fingerprinted (row
counts and the tasks checksum) and compared with the fingerprint `backup create` recorded on the
Backup, or, for backups without one (those of a Schedule), with the live source. The drill
namespace is deleted in every case: after success, after a failed step, after a timeout and after
Ctrl-C. The report says what was compared and what differed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from labctl.actions.backup import FINGERPRINT_ANNOTATION, Probe
from labctl.actions.plan import ActionFailed, Executor, Plan, Retry, Step
from labctl.actions.restore import (
    NamespaceState,
    read_namespace,
    restore_body,
    restore_name,
    wait_for_restore,
)
from labctl.actions.velero import VELERO_NAMESPACE, BackupRow, list_backups, newest_usable

if TYPE_CHECKING:
    from lightkube import Client

    from labctl.db.fingerprint import Fingerprint

CLEANUP_VERBS = frozenset({"delete", "wait-gone", "delete-volumes"})
LONGHORN_DRIVER = "driver.longhorn.io"
LONGHORN_NAMESPACE = "longhorn-system"
CLEANUP_TIMEOUT = 300.0


class DrillReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    backup: str
    namespace: str
    drill_namespace: str
    reference: str
    passed: bool
    failure: str | None
    problems: list[str]
    notes: list[str]
    steps: list[str]
    cleaned_up: bool
    cleanup_error: str | None
    seconds: float


@dataclass
class DrillState:
    """What the steps found out, for the report."""

    reference: str = "not compared"
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DrillSetup:
    """The plan, the backup it restores, and the fingerprint recorded with that backup."""

    plan: Plan
    backup: BackupRow
    recorded: Fingerprint | None


def prepare_drill(client: Client, namespace: str, now: datetime) -> DrillSetup:
    """Choose the backup, read its record, and plan the drill (reads only)."""
    chosen = choose_backup(client, namespace)
    recorded = recorded_fingerprint(client, chosen.name, namespace)
    target = read_namespace(client, drill_namespace(namespace, now))
    restore = restore_name(chosen.name, now)
    plan = plan_drill(chosen, namespace, target, restore, recorded=recorded is not None)
    return DrillSetup(plan, chosen, recorded)


def execute_drill(
    client: Client,
    setup: DrillSetup,
    namespace: str,
    probe: Probe,
    *,
    progress: Callable[[Step, str], None] = lambda step, message: None,
    timeout: float | None = None,
    retry_interval: float = 5.0,
) -> DrillReport:
    """Run a prepared drill; the report says whether it passed and that the copy is gone."""
    state = DrillState()
    apply = step_applier(client, state, source=namespace, probe=probe, recorded=setup.recorded)
    return run_drill(
        setup.plan,
        apply,
        state,
        backup=setup.backup.name,
        namespace=namespace,
        progress=progress,
        timeout=timeout,
        retry_interval=retry_interval,
    )


def drill_namespace(namespace: str, now: datetime) -> str:
    return f"{namespace[:44]}-drill-{now:%Y%m%d%H%M%S}"


def choose_backup(client: Client, namespace: str) -> BackupRow:
    backup = newest_usable(list_backups(client), namespace)
    if backup is None:
        raise ActionFailed(f"no Completed backup includes namespace {namespace}: nothing to drill")
    return backup


def recorded_fingerprint(client: Client, backup: str, namespace: str) -> Fingerprint | None:
    """The fingerprint `backup create` stored on the Backup, if any."""
    from labctl.cluster.crds import Backup
    from labctl.db.fingerprint import Fingerprint

    metadata = client.get(Backup, backup, namespace=VELERO_NAMESPACE).metadata
    annotations = (metadata and metadata.annotations) or {}
    value = annotations.get(FINGERPRINT_ANNOTATION.format(namespace=namespace))
    return Fingerprint.model_validate_json(value) if value else None


def plan_drill(
    backup: BackupRow, namespace: str, target: NamespaceState, restore: str, *, recorded: bool
) -> Plan:
    refusals = []
    if target.exists:
        refusals.append(f"namespace {target.name} already exists; the drill only uses a new one")
    body = restore_body(restore, backup.name, [namespace], {namespace: target.name})
    against = "the fingerprint recorded at backup time" if recorded else "the live source"
    steps = (
        Step(
            "create",
            "Restore",
            VELERO_NAMESPACE,
            restore,
            f"{namespace} from {backup.name} into {target.name} (namespaceMapping)",
            body,
        ),
        Step("wait", "Restore", VELERO_NAMESPACE, restore, "until Completed"),
        Step("ready", "Namespace", None, target.name, "until every restored pod is ready"),
        Step(
            "verify",
            "Namespace",
            None,
            target.name,
            f"row counts and tasks checksum against {against}",
        ),
        Step("delete", "Namespace", None, target.name, "always, also when the drill fails"),
        Step("wait-gone", "Namespace", None, target.name, "until the drill copy is deleted"),
        Step(
            "delete-volumes",
            "PersistentVolume",
            None,
            target.name,
            "the volumes its claims bound: a Retain StorageClass keeps them (and their data)",
        ),
    )
    return Plan(f"restore drill of {namespace} from {backup.name}", steps, tuple(refusals))


def step_applier(
    client: Client,
    state: DrillState,
    *,
    source: str,
    probe: Probe,
    recorded: Fingerprint | None,
) -> Callable[[Step], str | None]:
    """Performs the drill's steps; `probe(namespace)` fingerprints a namespace's database."""

    def apply(step: Step) -> str | None:
        if step.verb == "create":
            from labctl.cluster.crds import Restore

            client.create(Restore.from_dict(dict(step.body or {})))
            return "created"
        if step.verb == "wait":
            return wait_for_restore(client, step.name)
        if step.verb == "ready":
            return pods_ready(client, step.name)
        if step.verb == "verify":
            return verify(state, probe(step.name), recorded, lambda: probe(source))
        if step.verb == "delete":
            return delete_namespace(client, step.name)
        if step.verb == "wait-gone":
            return namespace_gone(client, step.name)
        if step.verb == "delete-volumes":
            return delete_claimed_volumes(client, step.name)
        raise ValueError(f"unknown step verb {step.verb!r}")

    return apply


def pods_ready(client: Client, namespace: str) -> str:
    from lightkube.resources.core_v1 import Pod

    pods = [
        p
        for p in client.list(Pod, namespace=namespace)
        if (p.status and p.status.phase) != "Succeeded"
    ]
    ready = [p for p in pods if _ready(p)]
    if not pods or len(ready) < len(pods):
        raise Retry(f"{len(ready)}/{len(pods)} pods ready")
    return f"{len(ready)}/{len(pods)} pods ready"


def _ready(pod: Any) -> bool:
    conditions = (pod.status and pod.status.conditions) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def verify(
    state: DrillState,
    restored: Fingerprint,
    recorded: Fingerprint | None,
    measure_source: Callable[[], Fingerprint],
) -> str:
    """Compare strictly with the record; with the source, only losses fail (it moved on)."""
    if recorded is not None:
        state.reference = "fingerprint recorded at backup time"
        state.problems = restored.differences(recorded)
    else:
        state.reference = "live source (no fingerprint was recorded with this backup)"
        source = measure_source()
        state.problems = [
            f"{table}: {rows} rows in the source, {restored.rows.get(table, 'missing')} restored"
            for table, rows in sorted(source.rows.items())
            if rows and not restored.rows.get(table)
        ]
        state.notes = [
            f"{table}: {rows} rows in the source now, {restored.rows[table]} restored"
            for table, rows in sorted(source.rows.items())
            if restored.rows.get(table) not in (None, 0, rows)
        ]
    if state.problems:
        raise ActionFailed("restored data differs: " + "; ".join(state.problems))
    total = sum(restored.rows.values())
    return f"{total} rows in {len(restored.rows)} tables match the {state.reference.split(' (')[0]}"


def delete_namespace(client: Client, name: str) -> str:
    from lightkube.resources.core_v1 import Namespace

    return "deleted" if _delete_if_present(client, Namespace, name) else "already gone"


def namespace_gone(client: Client, name: str) -> str:
    from lightkube import ApiError
    from lightkube.resources.core_v1 import Namespace

    from labctl.actions.kube import status_code

    try:
        namespace = client.get(Namespace, name)
    except ApiError as error:
        if status_code(error) == 404:
            return "gone"
        raise
    raise Retry(f"still {(namespace.status and namespace.status.phase) or 'there'}")


def delete_claimed_volumes(client: Client, namespace: str) -> str:
    """Delete the PersistentVolumes claimed from `namespace` and their Longhorn volumes.

    With reclaimPolicy Retain (the rendered Longhorn StorageClass) a PV outlives its claim, and
    deleting the PV leaves Longhorn's volume (the data) in place, so both are deleted.
    """
    from lightkube.resources.core_v1 import PersistentVolume

    from labctl.cluster.crds import LonghornVolume

    claimed = [
        pv
        for pv in client.list(PersistentVolume)
        if pv.spec and pv.spec.claimRef and pv.spec.claimRef.namespace == namespace
    ]
    for pv in claimed:
        _delete_if_present(client, PersistentVolume, str(pv.metadata.name if pv.metadata else ""))
        csi = pv.spec.csi if pv.spec else None
        if csi is not None and csi.driver == LONGHORN_DRIVER:
            _delete_if_present(client, LonghornVolume, csi.volumeHandle, LONGHORN_NAMESPACE)
    return f"deleted {len(claimed)} volumes" if claimed else "none were claimed"


def _delete_if_present(client: Client, kind: Any, name: str, namespace: str | None = None) -> bool:
    """Delete an object; False when it was already gone."""
    from lightkube import ApiError

    from labctl.actions.kube import status_code

    try:
        client.delete(kind, name, namespace=namespace)
    except ApiError as error:
        if status_code(error) == 404:
            return False
        raise
    return True


def run_drill(
    plan: Plan,
    apply: Callable[[Step], str | None],
    state: DrillState,
    *,
    backup: str,
    namespace: str,
    progress: Callable[[Step, str], None] = lambda step, message: None,
    timeout: float | None = None,
    retry_interval: float = 5.0,
) -> DrillReport:
    """Run the drill's steps, then its clean-up whatever happened (Ctrl-C propagates after it)."""
    started = time.monotonic()
    drill_ns = next(s.name for s in plan.steps if s.verb == "delete")

    def logged(step: Step, message: str) -> None:
        state.log.append(f"{step.verb} {step.target}: {message}")
        progress(step, message)

    main = Plan(plan.title, tuple(s for s in plan.steps if s.verb not in CLEANUP_VERBS))
    cleanup = Plan("clean up", tuple(s for s in plan.steps if s.verb in CLEANUP_VERBS))
    failure: str | None = None
    cleanup_error: str | None = None
    try:
        Executor(apply, logged, timeout=timeout, retry_interval=retry_interval).run(main)
    except Exception as error:  # every failure is reported, and the namespace still goes
        failure = describe(error)
    finally:
        try:
            Executor(apply, logged, timeout=CLEANUP_TIMEOUT, retry_interval=retry_interval).run(
                cleanup
            )
        except Exception as error:
            cleanup_error = (
                f"{describe(error)}; delete it by hand: kubectl delete namespace {drill_ns}"
            )
    return DrillReport(
        backup=backup,
        namespace=namespace,
        drill_namespace=drill_ns,
        reference=state.reference,
        passed=failure is None and cleanup_error is None,
        failure=failure,
        problems=state.problems,
        notes=state.notes,
        steps=state.log,
        cleaned_up=cleanup_error is None,
        cleanup_error=cleanup_error,
        seconds=round(time.monotonic() - started, 2),
    )


def describe(error: Exception) -> str:
    """An error in words: API errors with their status, timeouts as timeouts."""
    import httpx2
    from lightkube import ApiError

    from labctl.actions.kube import api_error_message

    if isinstance(error, ApiError):
        return f"API error: {api_error_message(error)}"
    if isinstance(error, httpx2.TimeoutException):
        return "timed out waiting for the API server"
    if isinstance(error, httpx2.HTTPError):
        return f"cannot reach the API server: {error}"
    return str(error)
