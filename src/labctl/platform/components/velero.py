"""Velero, 3-2-1: one BackupStorageLocation per backup target and one Schedule per location.

Velero writes a backup to a single location, so a second and third copy need schedules of
their own (identical but for `storageLocation`). Each location's credentials come from its own
Secret in the velero namespace. Volumes are backed up by the node agent (kopia), since Longhorn
volumes have no cloud snapshot provider here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from labctl.config.cluster import BackupTarget, ClusterConfig
from labctl.platform import netpol
from labctl.platform.component import VELERO, Component, Wave
from labctl.platform.objects import (
    Obj,
    labels,
    meta,
    namespace,
    resources,
    restricted_container_security,
    restricted_pod_security,
)

NAMESPACE = "velero"


def storage_location(target: BackupTarget) -> Obj:
    object_storage: Obj = {"bucket": target.bucket}
    if target.prefix:
        object_storage["prefix"] = target.prefix
    return {
        "apiVersion": "velero.io/v1",
        "kind": "BackupStorageLocation",
        "metadata": meta(target.name, NAMESPACE, labels=labels(target.name, "backup-location")),
        "spec": {
            "provider": "aws",
            "default": target.default,
            "accessMode": "ReadWrite",
            "objectStorage": object_storage,
            "credential": {"name": target.credentials.name, "key": target.credentials.key},
            "config": {
                "region": target.region,
                "s3Url": target.endpoint,
                "s3ForcePathStyle": "true" if target.path_style else "false",
            },
        },
    }


def schedule_name(target: BackupTarget) -> str:
    return f"platform-{target.name}"


def schedule(target: BackupTarget, namespaces: list[str]) -> Obj:
    return {
        "apiVersion": "velero.io/v1",
        "kind": "Schedule",
        "metadata": meta(
            schedule_name(target),
            NAMESPACE,
            labels=labels(schedule_name(target), "backup-schedule"),
        ),
        "spec": {
            "schedule": target.schedule,
            "useOwnerReferencesInBackup": False,
            "template": {
                "includedNamespaces": namespaces,
                "storageLocation": target.name,
                "ttl": target.ttl,
                "snapshotVolumes": False,
                "defaultVolumesToFsBackup": True,
            },
        },
    }


def values(config: ClusterConfig) -> dict[str, Any]:
    plugin = config.images.velero_plugin_aws
    return {
        "initContainers": [
            {
                "name": "velero-plugin-for-aws",
                "image": plugin,
                "imagePullPolicy": "IfNotPresent",
                "volumeMounts": [{"mountPath": "/target", "name": "plugins"}],
                "resources": resources("10m", "32Mi", "100m", "64Mi"),
                "securityContext": restricted_container_security(),
            }
        ],
        "resources": resources("100m", "256Mi", "1", "512Mi"),
        # The server image runs as 65532 (distroless nonroot); it writes to emptyDirs only.
        "podSecurityContext": restricted_pod_security(65532),
        "containerSecurityContext": restricted_container_security(),
        # Locations and schedules are our own manifests; credentials are per location.
        "configuration": {
            "backupStorageLocation": [],
            "volumeSnapshotLocation": [],
            "uploaderType": "kopia",
            "defaultVolumesToFsBackup": True,
        },
        "credentials": {"useSecret": False},
        # The CRD-upgrade Job is a pre-install hook, run before this Application has created
        # the namespace; Argo CD applies (and upgrades) the chart's crds/ itself.
        "upgradeCRDs": False,
        "snapshotsEnabled": False,
        "deployNodeAgent": True,
        # kopia hashes and compresses file-system backups: the node agent's peak is the upload.
        "nodeAgent": {"resources": resources("100m", "256Mi", "1", "1Gi")},
        "metrics": {"serviceMonitor": {"enabled": True}},
    }


def backed_up_namespaces(config: ClusterConfig, with_volumes: set[str]) -> list[str]:
    """The seed's namespaces plus every namespace where we render a volume."""
    return sorted(set(config.backups.namespaces) | with_volumes)


def endpoint_ports(config: ClusterConfig) -> tuple[int, ...]:
    """The TCP ports of the backup targets' S3 endpoints."""
    ports = set()
    for target in config.backups.targets:
        url = urlsplit(target.endpoint)
        ports.add(url.port or (443 if url.scheme == "https" else 80))
    return tuple(sorted(ports))


def component(config: ClusterConfig, namespaces: list[str]) -> Component:
    traffic = netpol.Traffic(
        api_server=True,
        internet_ports=endpoint_ports(config),
        inbound=(netpol.Inbound("monitoring", (8085,), ("monitoring",)),),
        egress_cidrs=(str(config.cluster.node_network), str(config.cluster.pod_subnet)),
    )
    targets = config.backups.targets
    return Component(
        name="velero",
        namespace=NAMESPACE,
        tier="operations",
        wave=Wave.OPERATIONS,
        description="Velero with one location and one schedule per backup target (3-2-1)",
        chart=VELERO,
        release="velero",
        values=values(config),
        # The node agent reads pod volumes from the host.
        manifests=[
            namespace(NAMESPACE, "privileged"),
            *[storage_location(t) for t in targets],
            *[schedule(t, namespaces) for t in targets],
            *netpol.policies(NAMESPACE, traffic),
        ],
    )
