"""Velero's controllers, played against a FakeKube: Backups and Restores move through phases.

A background thread polls the fake's store (as Velero watches it) and advances every Backup and
Restore one step per tick: New -> InProgress (progress growing) -> the outcome the test chose.
A Completed Restore creates its target namespaces with pods copied from the source namespace
(ready or not, as the test chose), the way Velero recreates the workloads.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.fake_kube import FakeKube, Obj

VELERO = "velero"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeVelero:
    fake: FakeKube
    backup_outcome: str = "Completed"
    restore_outcome: str = "Completed"
    total_items: int = 40
    ticks: int = 3
    interval: float = 0.02
    pods_ready: bool = True
    restored_pods: list[Obj] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> FakeVelero:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            for kind in ("Backup", "Restore"):
                for obj in self.fake.objects(kind, VELERO):
                    try:
                        self._advance(kind, obj)
                    except KeyError:
                        continue  # deleted meanwhile

    def _advance(self, kind: str, obj: Obj) -> None:
        status = obj.get("status") or {}
        phase = status.get("phase", "New")
        done_key = "itemsBackedUp" if kind == "Backup" else "itemsRestored"
        name = obj["metadata"]["name"]
        now = datetime.now(UTC)
        if phase == "New":
            patch: dict[str, Any] = {
                "phase": "InProgress",
                "startTimestamp": iso(now),
                "progress": {"totalItems": self.total_items, done_key: 0},
            }
        elif phase == "InProgress":
            done = status["progress"][done_key] + self.total_items // self.ticks
            if done < self.total_items:
                patch = {"progress": {done_key: done}}
            else:
                patch = self._finish(kind, obj, now)
        else:
            return
        self.fake.update(kind, name, VELERO, {"status": patch})

    def _finish(self, kind: str, obj: Obj, now: datetime) -> dict[str, Any]:
        outcome = self.backup_outcome if kind == "Backup" else self.restore_outcome
        done_key = "itemsBackedUp" if kind == "Backup" else "itemsRestored"
        failed = outcome != "Completed"
        patch: dict[str, Any] = {
            "phase": outcome,
            "completionTimestamp": iso(now),
            "progress": {done_key: self.total_items - (3 if failed else 0)},
            "errors": 3 if failed else 0,
            "warnings": 1,
        }
        if outcome == "Failed":
            patch["failureReason"] = "object storage unreachable"
        if kind == "Backup":
            patch["expiration"] = iso(now + timedelta(days=7))
        elif not failed:
            self._restore_workloads(obj["spec"])
        return patch

    def _restore_workloads(self, spec: Obj) -> None:
        mapping = spec.get("namespaceMapping") or {}
        for source in spec.get("includedNamespaces") or []:
            target = mapping.get(source, source)
            if self.fake.get("Namespace", target) is None:
                self.fake.add(
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": target}}
                )
            pods = self.restored_pods or self.fake.objects("Pod", source)
            for pod in pods:
                self.fake.add(restored(pod, target, ready=self.pods_ready))
            for claim in self.fake.objects("PersistentVolumeClaim", source):
                self.fake.add(*restored_volume(claim, target))


def restored(pod: Obj, namespace: str, *, ready: bool) -> Obj:
    copied = copy.deepcopy(pod)
    copied["metadata"] = {
        "name": pod["metadata"]["name"],
        "namespace": namespace,
        "labels": pod["metadata"].get("labels") or {},
    }
    copied["status"] = {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
    }
    return copied


def restored_volume(claim: Obj, namespace: str) -> tuple[Obj, Obj, Obj]:
    """The claim in `namespace`, the Longhorn PV it binds (Retain) and Longhorn's volume."""
    name = claim["metadata"]["name"]
    volume = f"pvc-{namespace}-{name}"
    return (
        {**persistent_volume_claim(name, namespace), "spec": {"volumeName": volume}},
        persistent_volume(volume, namespace, name),
        {
            "apiVersion": "longhorn.io/v1beta2",
            "kind": "Volume",
            "metadata": {"name": volume, "namespace": "longhorn-system"},
        },
    )


# --- objects as Velero and Kubernetes store them --------------------------------------------


def backup(
    name: str,
    phase: str = "Completed",
    *,
    namespaces: tuple[str, ...] = ("taskapp", "vault", "argocd"),
    created: str = "2026-11-20T03:00:00Z",
    started: str | None = None,
    schedule: str | None = None,
    location: str = "default",
    annotations: dict[str, str] | None = None,
) -> Obj:
    """A finished Backup as Velero leaves it. `started` (default: `created`) is when Velero took
    it; a Backup synced back from the bucket after a rebuild has a newer `created`."""
    labels = {"velero.io/schedule-name": schedule} if schedule else {}
    began = datetime.fromisoformat((started or created).replace("Z", "+00:00"))
    return {
        "apiVersion": "velero.io/v1",
        "kind": "Backup",
        "metadata": {
            "name": name,
            "namespace": VELERO,
            "creationTimestamp": created,
            "labels": labels,
            "annotations": annotations or {},
        },
        "spec": {
            "includedNamespaces": list(namespaces),
            "storageLocation": location,
            "ttl": "168h0m0s",
        },
        "status": {
            "phase": phase,
            "startTimestamp": iso(began),
            "completionTimestamp": iso(began + timedelta(minutes=4)),
            "expiration": "2026-11-27T03:00:00Z",
            "errors": 0,
            "warnings": 2,
            "progress": {"totalItems": 120, "itemsBackedUp": 120},
        },
    }


def location(name: str, phase: str = "Available", *, default: bool = False) -> Obj:
    return {
        "apiVersion": "velero.io/v1",
        "kind": "BackupStorageLocation",
        "metadata": {"name": name, "namespace": VELERO},
        "spec": {
            "provider": "aws",
            "default": default,
            "objectStorage": {"bucket": f"{name}-bucket", "prefix": "lab"},
        },
        "status": {"phase": phase, "lastValidationTime": "2026-11-26T09:59:00Z"},
    }


def schedule(name: str, cron: str, location_name: str) -> Obj:
    return {
        "apiVersion": "velero.io/v1",
        "kind": "Schedule",
        "metadata": {"name": name, "namespace": VELERO},
        "spec": {
            "schedule": cron,
            "template": {
                "includedNamespaces": ["*"],
                "storageLocation": location_name,
                "ttl": "720h0m0s",
            },
        },
        "status": {"phase": "Enabled", "lastBackup": "2026-11-26T03:00:00Z"},
    }


def namespace(name: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name},
        "status": {"phase": "Active"},
    }


def pod(name: str, ns: str, labels: dict[str, str] | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
        "spec": {"containers": [{"name": "main", "image": "example/app:1"}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    }


def persistent_volume_claim(name: str, ns: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"storageClassName": "longhorn"},
        "status": {"phase": "Bound"},
    }


def persistent_volume(name: str, claim_namespace: str, claim: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {
            "persistentVolumeReclaimPolicy": "Retain",
            "claimRef": {"namespace": claim_namespace, "name": claim},
            "csi": {"driver": "driver.longhorn.io", "volumeHandle": name},
        },
        "status": {"phase": "Bound"},
    }
