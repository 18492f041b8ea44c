"""`labctl backup create`: a Velero Backup, followed to its final phase.

The plan: record the data fingerprint of each data namespace (row counts and the tasks checksum,
for the restore drill), create the Backup with the fingerprints as annotations, then poll it until
Velero reports a final phase. Only Completed succeeds; PartiallyFailed, Failed and
FailedValidation fail the command, with Velero's counts and reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from labctl.actions.plan import ActionFailed, Plan, Retry, Step
from labctl.actions.velero import (
    BACKUP_FINAL,
    VELERO_NAMESPACE,
    LocationRow,
    backup_row,
    progress_text,
)

if TYPE_CHECKING:
    from lightkube import Client

    from labctl.db.fingerprint import Fingerprint

DEFAULT_NAMESPACES = ("taskapp", "vault", "argocd")  # the runbook's manual backup
DEFAULT_TTL = "168h"
DATA_NAMESPACES = ("taskapp",)
FINGERPRINT_ANNOTATION = "labctl/fingerprint.{namespace}"
_GO_DURATION = re.compile(r"(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+")

Probe = Callable[[str], "Fingerprint"]


def backup_name(now: datetime) -> str:
    return f"manual-backup-{now:%Y%m%d-%H%M%S}"


def backup_body(
    name: str, namespaces: Sequence[str], ttl: str, location: str | None
) -> dict[str, Any]:
    # As the rendered Schedules (platform/components/velero.py): volumes through the node agent
    # (kopia).
    spec: dict[str, Any] = {
        "includedNamespaces": list(namespaces),
        "ttl": ttl,
        "snapshotVolumes": False,
        "defaultVolumesToFsBackup": True,
    }
    if location:
        spec["storageLocation"] = location
    return {
        "apiVersion": "velero.io/v1",
        "kind": "Backup",
        "metadata": {
            "name": name,
            "namespace": VELERO_NAMESPACE,
            "labels": {"app.kubernetes.io/managed-by": "labctl"},
        },
        "spec": spec,
    }


def plan_backup(
    name: str,
    namespaces: Sequence[str],
    *,
    ttl: str = DEFAULT_TTL,
    location: str | None = None,
    locations: Sequence[LocationRow] = (),
    data_namespaces: Sequence[str] = DATA_NAMESPACES,
) -> Plan:
    """Record, create, wait. Refuses a location that does not exist or an invalid TTL."""
    refusals, warnings = [], []
    if not _GO_DURATION.fullmatch(ttl):
        refusals.append(f"--ttl {ttl!r} is not a duration Velero accepts (e.g. 168h, 720h0m0s)")
    known = {loc.name: loc for loc in locations}
    if location is not None and location not in known:
        refusals.append(f"backup storage location {location!r} does not exist ({_names(known)})")
    chosen = known.get(location) if location else next((x for x in locations if x.default), None)
    if chosen is None and location is None:
        warnings.append("no default backup storage location: Velero will fail the backup")
    elif chosen is not None and chosen.phase != "Available":
        warnings.append(f"location {chosen.name} is {chosen.phase}: the backup is likely to fail")
    steps = [
        Step(
            "record",
            "Database",
            ns,
            "postgres",
            "row counts and tasks checksum, kept on the Backup for the restore drill",
        )
        for ns in namespaces
        if ns in data_namespaces
    ]
    where = f"to {location}" if location else "to the default location"
    body = backup_body(name, namespaces, ttl, location)
    steps += [
        Step(
            "create",
            "Backup",
            VELERO_NAMESPACE,
            name,
            f"namespaces {', '.join(namespaces)} {where}, kept {ttl}",
            body,
        ),
        Step(
            "wait", "Backup", VELERO_NAMESPACE, name, "until a final phase; only Completed succeeds"
        ),
    ]
    return Plan(f"back up {', '.join(namespaces)}", tuple(steps), tuple(refusals), tuple(warnings))


def _names(known: dict[str, LocationRow]) -> str:
    return "known: " + ", ".join(sorted(known)) if known else "there are none"


def step_applier(client: Client, probe: Probe | None = None) -> Callable[[Step], str | None]:
    """Performs the steps of `plan_backup` (record, create, wait)."""
    recorded: dict[str, str] = {}

    def apply(step: Step) -> str | None:
        if step.verb == "record":
            return _record(step.namespace or "", probe, recorded)
        if step.verb == "create":
            return _create(client, step, recorded)
        if step.verb == "wait":
            return wait_for_backup(client, step.name)
        raise ValueError(f"unknown step verb {step.verb!r}")

    return apply


def _record(namespace: str, probe: Probe | None, recorded: dict[str, str]) -> str:
    from labctl.db.errors import DbError

    if probe is None:
        return "skipped: no database access configured (the drill will compare with the source)"
    try:
        fingerprint = probe(namespace)
    except DbError as error:
        return f"not recorded ({error}); the drill will compare with the source"
    recorded[FINGERPRINT_ANNOTATION.format(namespace=namespace)] = fingerprint.model_dump_json()
    rows = sum(fingerprint.rows.values())
    return f"{rows} rows in {len(fingerprint.rows)} tables, checksum {fingerprint.checksum}"


def _create(client: Client, step: Step, annotations: dict[str, str]) -> str:
    from labctl.cluster.crds import Backup

    body = dict(step.body or {})
    body["metadata"] = {**body["metadata"], "annotations": dict(annotations)}
    client.create(Backup.from_dict(body))
    return "created"


def wait_for_backup(client: Client, name: str, namespace: str = VELERO_NAMESPACE) -> str:
    """One poll: `Retry` while Velero works, the outcome when Completed, else `ActionFailed`."""
    from labctl.cluster.crds import Backup

    row = backup_row(client.get(Backup, name, namespace=namespace))
    items = progress_text(row.items_backed_up, row.total_items)
    if row.phase not in BACKUP_FINAL:
        raise Retry(f"{row.phase}, {items or '?'} items backed up")
    counts = f"{items or 'no'} items, {row.errors} errors, {row.warnings} warnings"
    if row.phase != "Completed":
        reason = f" ({row.failure_reason})" if row.failure_reason else ""
        raise ActionFailed(
            f"backup {name} ended {row.phase}{reason}: {counts}; "
            f"see `velero backup describe {name} --details` and `velero backup logs {name}`"
        )
    return f"Completed: {counts}"
