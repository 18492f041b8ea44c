"""Reading Velero: backups, schedules and storage locations as rows, and its phases.

Velero's objects live in the `velero` namespace (ops-apis.md section 2). A backup is usable once
it is Completed (or PartiallyFailed, with missing items); the other final phases mean it is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from lightkube import Client

VELERO_NAMESPACE = "velero"
SCHEDULE_LABEL = "velero.io/schedule-name"

BACKUP_FINAL = frozenset({"Completed", "PartiallyFailed", "Failed", "FailedValidation"})
RESTORE_FINAL = BACKUP_FINAL
USABLE = frozenset({"Completed", "PartiallyFailed"})


class BackupRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    schedule: str | None
    location: str | None
    phase: str
    namespaces: list[str]
    created: datetime | None
    started: datetime | None
    completed: datetime | None
    expires: datetime | None
    errors: int
    warnings: int
    items_backed_up: int | None
    total_items: int | None
    failure_reason: str | None

    @property
    def taken(self) -> datetime | None:
        """When the backup was taken, by Velero's own record. Not the object's creation time:
        after a cluster rebuild Velero recreates Backup objects from the bucket (new
        creationTimestamp, old data), so only status.startTimestamp and completionTimestamp say
        how old the data is."""
        return self.started or self.completed or self.created


class ScheduleRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    schedule: str
    location: str | None
    phase: str
    paused: bool
    ttl: str | None
    last_backup: datetime | None


class LocationRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    provider: str
    bucket: str
    prefix: str | None
    phase: str
    default: bool
    access_mode: str
    last_validated: datetime | None
    last_synced: datetime | None
    message: str | None


def timestamp(value: Any) -> datetime | None:
    """A Kubernetes timestamp (string or already parsed) as an aware datetime."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def backup_row(obj: Any) -> BackupRow:
    spec: dict[str, Any] = obj.spec or {}
    status: dict[str, Any] = obj.status or {}
    progress = status.get("progress") or {}
    labels = obj.metadata.labels or {}
    return BackupRow(
        name=obj.metadata.name,
        schedule=labels.get(SCHEDULE_LABEL),
        location=spec.get("storageLocation"),
        phase=status.get("phase") or "New",
        namespaces=list(spec.get("includedNamespaces") or ["*"]),
        created=timestamp(obj.metadata.creationTimestamp),
        started=timestamp(status.get("startTimestamp")),
        completed=timestamp(status.get("completionTimestamp")),
        expires=timestamp(status.get("expiration")),
        errors=int(status.get("errors") or 0),
        warnings=int(status.get("warnings") or 0),
        items_backed_up=progress.get("itemsBackedUp"),
        total_items=progress.get("totalItems"),
        failure_reason=status.get("failureReason"),
    )


def schedule_row(obj: Any) -> ScheduleRow:
    spec: dict[str, Any] = obj.spec or {}
    status: dict[str, Any] = obj.status or {}
    template = spec.get("template") or {}
    return ScheduleRow(
        name=obj.metadata.name,
        schedule=spec.get("schedule", ""),
        location=template.get("storageLocation"),
        phase=status.get("phase") or "New",
        paused=bool(spec.get("paused")),
        ttl=template.get("ttl"),
        last_backup=timestamp(status.get("lastBackup")),
    )


def location_row(obj: Any) -> LocationRow:
    spec: dict[str, Any] = obj.spec or {}
    status: dict[str, Any] = obj.status or {}
    storage = spec.get("objectStorage") or {}
    return LocationRow(
        name=obj.metadata.name,
        provider=spec.get("provider", ""),
        bucket=storage.get("bucket", ""),
        prefix=storage.get("prefix"),
        phase=status.get("phase") or "Unknown",
        default=bool(spec.get("default")),
        access_mode=spec.get("accessMode") or "ReadWrite",
        last_validated=timestamp(status.get("lastValidationTime")),
        last_synced=timestamp(status.get("lastSyncedTime")),
        message=status.get("message"),
    )


def list_backups(client: Client, namespace: str = VELERO_NAMESPACE) -> list[BackupRow]:
    """Every backup, newest first (by when it was taken, `BackupRow.taken`)."""
    from labctl.cluster.crds import Backup

    rows = [backup_row(b) for b in client.list(Backup, namespace=namespace)]
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(rows, key=lambda r: (r.taken or oldest, r.name), reverse=True)


def list_schedules(client: Client, namespace: str = VELERO_NAMESPACE) -> list[ScheduleRow]:
    from labctl.cluster.crds import Schedule

    return sorted(
        (schedule_row(s) for s in client.list(Schedule, namespace=namespace)), key=lambda r: r.name
    )


def list_locations(client: Client, namespace: str = VELERO_NAMESPACE) -> list[LocationRow]:
    from labctl.cluster.crds import BackupStorageLocation

    locations = client.list(BackupStorageLocation, namespace=namespace)
    return sorted((location_row(b) for b in locations), key=lambda r: r.name)


def covers(row: BackupRow, namespace: str) -> bool:
    """Whether the backup included `namespace`."""
    return "*" in row.namespaces or namespace in row.namespaces


def newest_usable(rows: Iterable[BackupRow], namespace: str) -> BackupRow | None:
    """The newest Completed backup that holds `namespace` (rows are newest first)."""
    return next((r for r in rows if r.phase == "Completed" and covers(r, namespace)), None)


def age(moment: datetime | None, now: datetime) -> str:
    """kubectl's short age: 45s, 12m, 5h, 3d."""
    if moment is None:
        return ""
    seconds = int((now - moment).total_seconds())
    return duration(seconds)


def duration(seconds: int) -> str:
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * (2 if unit == "d" else 1):
            return f"{sign}{seconds // size}{unit}"
    return f"{sign}{seconds}s"


def expiry(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return ""
    left = int((moment - now).total_seconds())
    return "expired" if left <= 0 else f"in {duration(left)}"


def progress_text(done: int | None, total: int | None) -> str:
    if total is None:
        return ""
    return f"{done or 0}/{total}"
