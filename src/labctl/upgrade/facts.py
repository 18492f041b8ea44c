"""What an upgrade plan reads from a cluster, live or from a snapshot folder, in one shape.

Both sources give a `Snapshot` (live: a handful of LISTs into memory), so the plan is a pure
function of it. Besides the health snapshot's kinds it reads Jobs (the etcd snapshots), CRDs,
and the objects of every kind whose API a step removes, at a version the server still serves.

Kubernetes does not expose the version an object is stored at for built-in kinds (the
StorageVersion API is alpha), so the version each client *writes* with is read from
`metadata.managedFields[].apiVersion` and the `last-applied-configuration` annotation; a CRD's
`status.storedVersions` says which of its versions are in etcd.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labctl.cluster.snapshot import Snapshot
from labctl.kubeversion import Version, VersionError
from labctl.upgrade.removed_apis import REMOVED, plural

if TYPE_CHECKING:
    from lightkube import Client

Obj = dict[str, Any]

CRDS = "customresourcedefinitions.apiextensions.k8s.io"
JOBS = "jobs.batch"
BASE_RESOURCES = (
    "nodes",
    "pods",
    "poddisruptionbudgets.policy",
    "backups.velero.io",
    "backupstoragelocations.velero.io",
    JOBS,
    CRDS,
)
STATIC_POD_NAMESPACE = "kube-system"
# Managers that are the API server itself keeping its own objects (APF's bootstrap config).
SELF_MANAGERS = ("api-priority-and-fairness-config-producer", "api-priority-and-fairness-config")


def family_resource(group: str, kind: str) -> str:
    """kubectl's full resource name for a kind of the removed-API table (snapshot file stem)."""
    return f"{plural(kind)}.{group}" if group else plural(kind)


def families(since: Version | None = None) -> dict[str, tuple[str, str, list[str]]]:
    """resource -> (group, kind, versions to try when listing, newest first): of every row, or
    of those removed after `since` (and the components' own)."""
    out: dict[str, tuple[str, str, list[str]]] = {}
    for row in REMOVED:
        if since is not None and row.removed_in and Version.parse(row.removed_in) <= since:
            continue
        for kind in row.kinds:
            versions = out.setdefault(family_resource(row.group, kind), (row.group, kind, []))[2]
            target = row.replacement.split(" ")[0]
            group, _, version = target.rpartition("/")
            if group == row.group and version not in versions:
                versions.insert(0, version)
            if row.version not in versions:
                versions.append(row.version)
    return out


@dataclass(frozen=True)
class Versions:
    apiservers: dict[str, Version]  # instance (pod or "API server") -> version
    controllers: dict[str, Version]  # "kube-scheduler on cp01" -> version
    kubelets: dict[str, Version]
    proxies: dict[str, Version]
    etcd: dict[str, str]  # node -> etcd image tag


def versions(snap: Snapshot) -> Versions:
    apiservers: dict[str, Version] = {}
    controllers: dict[str, Version] = {}
    etcd: dict[str, str] = {}
    for pod in snap.items("pods") or []:
        meta = pod.get("metadata") or {}
        if meta.get("namespace") != STATIC_POD_NAMESPACE:
            continue
        node = str((pod.get("spec") or {}).get("nodeName") or "?")
        # kubeadm's static pods: label `component`, name `<component>-<node>`
        label = (meta.get("labels") or {}).get("component")
        tag = _image_tag(pod)
        if tag is None:
            continue
        for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"):
            if label != name and meta.get("name") != f"{name}-{node}":
                continue
            if name == "etcd":
                etcd[node] = tag
                continue
            try:
                version = Version.parse(tag)
            except VersionError:
                continue
            if name == "kube-apiserver":
                apiservers[f"kube-apiserver on {node}"] = version
            else:
                controllers[f"{name} on {node}"] = version
            break
    if not apiservers and snap.server_version:
        apiservers["API server"] = Version.parse(snap.server_version)
    kubelets: dict[str, Version] = {}
    proxies: dict[str, Version] = {}
    for node_obj in snap.items("nodes") or []:
        name = str((node_obj.get("metadata") or {}).get("name"))
        info = (node_obj.get("status") or {}).get("nodeInfo") or {}
        for field, into in (("kubeletVersion", kubelets), ("kubeProxyVersion", proxies)):
            try:
                if info.get(field):
                    into[name] = Version.parse(str(info[field]))
            except VersionError:
                continue
    return Versions(apiservers, controllers, kubelets, proxies, etcd)


def _image_tag(pod: Obj) -> str | None:
    for container in (pod.get("spec") or {}).get("containers") or []:
        image = str(container.get("image") or "")
        if ":" in image.rsplit("/", 1)[-1]:
            return image.rsplit(":", 1)[1]
    return None


# --- live ------------------------------------------------------------------------------------


def read_live(client: Client) -> Snapshot:
    """The objects the plan needs, read from the cluster into a Snapshot (kinds not served are
    recorded in `not_served`, errors in `gaps`).

    Discovery (`/apis`) says which group versions the server serves, so only those are listed;
    kinds whose APIs went away more than three minors before the server (the oldest a kubelet
    may be) are not read at all."""
    from lightkube import ApiError

    from labctl.actions.kube import request_json, status_code

    snap = Snapshot(context=None)
    version = request_json(client, "GET", "/version")
    snap.server_version = str(version.get("gitVersion") or "")
    server = Version.parse(snap.server_version)
    oldest = Version(server.major, max(server.minor - 3, 0))
    groups = request_json(client, "GET", "/apis").get("groups") or []
    served = {"v1"} | {str(v.get("groupVersion")) for g in groups for v in g.get("versions") or []}
    paths = {
        "nodes": ["/api/v1/nodes"],
        "pods": ["/api/v1/pods"],
        "poddisruptionbudgets.policy": ["/apis/policy/v1/poddisruptionbudgets"],
        "backups.velero.io": ["/apis/velero.io/v1/backups"],
        "backupstoragelocations.velero.io": ["/apis/velero.io/v1/backupstoragelocations"],
        JOBS: ["/apis/batch/v1/jobs"],
        CRDS: ["/apis/apiextensions.k8s.io/v1/customresourcedefinitions"],
    }
    for resource, (group, kind, tried) in families(since=oldest).items():
        root = f"/apis/{group}" if group else "/api"
        paths.setdefault(resource, [f"{root}/{v}/{plural(kind)}" for v in tried])
    for resource, candidates in paths.items():
        for path in candidates:
            if _group_version(path) not in served:
                continue
            try:
                snap.resources[resource] = _list_all(client, path)
                break
            except ApiError as error:
                if status_code(error) == 404:
                    continue
                snap.gaps[resource] = f"{status_code(error)} reading {path}"
                break
        else:
            snap.not_served.add(resource)
            snap.resources[resource] = []
    return snap


def _group_version(path: str) -> str:
    parts = path.strip("/").split("/")
    return parts[1] if parts[0] == "api" else f"{parts[1]}/{parts[2]}"


def _list_all(client: Client, path: str) -> list[Obj]:
    from urllib.parse import urlencode

    from labctl.actions.kube import request_json

    query: dict[str, Any] = {"limit": 500}
    items: list[Obj] = []
    while True:
        body = request_json(client, "GET", f"{path}?{urlencode(query)}")
        kind = str(body.get("kind", "")).removesuffix("List")
        for item in body.get("items") or []:
            item.setdefault("kind", kind)
            item.setdefault("apiVersion", body.get("apiVersion"))
            items.append(item)
        token = (body.get("metadata") or {}).get("continue")
        if not token:
            return items
        query["continue"] = token
