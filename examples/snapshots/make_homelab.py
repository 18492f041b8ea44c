"""Writes examples/snapshots/homelab/: a snapshot of the seed's cluster with a few problems.

Run `python examples/snapshots/make_homelab.py` after changing it; the output is committed so
`labctl health --snapshot examples/snapshots/homelab` works without running anything.

The cluster: k8s-cp01 and k8s-worker01..05 (worker05 cordoned for hardware work), Vault with
the seed's 2 Raft replicas, Argo CD, Velero with one MinIO location, cert-manager, the
monitoring stack and TaskApp. Its problems: a backend pod OOMKilled in CrashLoopBackOff while
the backend HPA sits at its maximum; the nightly backup PartiallyFailed three nights running
(newest Completed is 3 days old); a single backup location; a Grafana certificate 9 days from
expiry; a PDB (minAvailable 1) on one-replica PostgreSQL; Prometheus' volume 81% full and
degraded in Longhorn (a replica lived on the cordoned node).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from labctl.cluster.kinds import SNAPSHOT_KINDS

Obj = dict[str, Any]
OUT = Path(__file__).parent / "homelab"
TAKEN = "2026-11-26T06:00:00Z"
CREATED = "2026-09-14T10:00:00Z"
NODES = ["k8s-cp01", *(f"k8s-worker0{i}" for i in range(1, 6))]
WORKERS = NODES[1:]
GI = 1024**3


def uid(*parts: str) -> str:
    h = hashlib.sha1("/".join(parts).encode()).hexdigest()  # noqa: S324 - a stable fake uid
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def meta(kind: str, name: str, ns: str | None = None, **extra: Any) -> Obj:
    m: Obj = {"name": name, "uid": uid(kind, ns or "", name), "creationTimestamp": CREATED}
    if ns:
        m["namespace"] = ns
    m.update(extra)
    return m


def node(name: str, ip: str) -> Obj:
    cp = name == "k8s-cp01"
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
    if cp:
        labels["node-role.kubernetes.io/control-plane"] = ""
    conditions = [
        {"type": t, "status": "False", "reason": f"KubeletHas{r}", "lastHeartbeatTime": TAKEN}
        for t, r in (
            ("MemoryPressure", "SufficientMemory"),
            ("DiskPressure", "NoDiskPressure"),
            ("PIDPressure", "SufficientPID"),
        )
    ]
    conditions.append(
        {"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": TAKEN}
    )
    spec: Obj = {"podCIDR": f"10.244.{NODES.index(name)}.0/24"}
    if cp:
        spec["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    if name == "k8s-worker05":  # the seed's "(hardware)" node: cordoned for a disk swap
        spec["unschedulable"] = True
        spec["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta("Node", name, labels=labels),
        "spec": spec,
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": ip},
                {"type": "Hostname", "address": name},
            ],
            "capacity": {"cpu": "4", "memory": "16318412Ki", "pods": "110"},
            "conditions": conditions,
            "nodeInfo": {
                "kubeletVersion": "v1.28.15",
                "kubeProxyVersion": "v1.28.15",
                "osImage": "Ubuntu 22.04.5 LTS",
                "containerRuntimeVersion": "containerd://1.7.24",
            },
        },
    }


class Cluster:
    def __init__(self) -> None:
        self.objects: dict[str, list[Obj]] = {}
        self.pvc_usage: dict[tuple[str, str], tuple[str, str, float, int]] = {}
        self._next_node = 0

    def add(self, resource: str, obj: Obj) -> Obj:
        self.objects.setdefault(resource, []).append(obj)
        return obj

    def place(self) -> str:
        # Round-robin over the schedulable workers (worker05 is cordoned).
        node_name = WORKERS[self._next_node % 4]
        self._next_node += 1
        return node_name

    def pod(
        self,
        name: str,
        ns: str,
        labels: dict[str, str],
        owner: tuple[str, str],
        image: str,
        node_name: str | None = None,
        restarts: int = 0,
        state: Obj | None = None,
        last: Obj | None = None,
        pvc: str | None = None,
    ) -> Obj:
        node_name = node_name or self.place()
        running = state is None
        container = {
            "name": name.split("-")[0] if ns != "taskapp" else labels.get("app", "app"),
            "image": image,
            "imageID": f"{image}@sha256:{hashlib.sha256(image.encode()).hexdigest()}",
            "ready": running,
            "started": running,
            "restartCount": restarts,
            "state": state or {"running": {"startedAt": "2026-11-20T04:12:00Z"}},
        }
        if last:
            container["lastState"] = {"terminated": last}
        volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": pvc}}] if pvc else []
        return self.add(
            "pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": meta(
                    "Pod",
                    name,
                    ns,
                    labels=labels,
                    ownerReferences=[
                        {
                            "apiVersion": "apps/v1",
                            "kind": owner[0],
                            "name": owner[1],
                            "uid": uid(owner[0], ns, owner[1]),
                            "controller": True,
                        }
                    ],
                ),
                "spec": {
                    "nodeName": node_name,
                    "containers": [{"name": container["name"], "image": image}],
                    "volumes": volumes,
                },
                "status": {
                    "phase": "Running",
                    "conditions": [
                        {"type": "PodScheduled", "status": "True"},
                        {"type": "Ready", "status": "True" if running else "False"},
                    ],
                    "hostIP": node_name,
                    "startTime": "2026-11-20T04:11:50Z",
                    "containerStatuses": [container],
                },
            },
        )

    def deployment(
        self, name: str, ns: str, image: str, replicas: int = 1, bad: dict[int, Obj] | None = None
    ) -> None:
        labels = {"app.kubernetes.io/name": name, "app": name}
        rs = f"{name}-{hashlib.sha1(name.encode()).hexdigest()[:10]}"  # noqa: S324
        available = 0
        for i in range(replicas):
            suffix = hashlib.sha1(f"{name}{i}".encode()).hexdigest()[:5]  # noqa: S324
            extra = (bad or {}).get(i, {})
            self.pod(f"{rs}-{suffix}", ns, labels, ("ReplicaSet", rs), image, **extra)
            available += 0 if "state" in extra else 1
        self.add(
            "deployments.apps",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": meta("Deployment", name, ns, labels=labels, generation=4),
                "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}},
                "status": {
                    "observedGeneration": 4,
                    "replicas": replicas,
                    "updatedReplicas": replicas,
                    "readyReplicas": available,
                    "availableReplicas": available,
                    **(
                        {"unavailableReplicas": replicas - available}
                        if available < replicas
                        else {}
                    ),
                },
            },
        )

    def statefulset(
        self,
        name: str,
        ns: str,
        image: str,
        replicas: int = 1,
        pvc: tuple[str, int, float] | None = None,
        labels: dict[str, str] | None = None,
    ) -> list[Obj]:
        labels = labels or {"app.kubernetes.io/name": name}
        pods = []
        for i in range(replicas):
            pod_name = f"{name}-{i}"
            claim = f"{pvc[0]}-{pod_name}" if pvc else None
            pod = self.pod(pod_name, ns, labels, ("StatefulSet", name), image, pvc=claim)
            pods.append(pod)
            if pvc and claim:
                self.claim(claim, ns, pvc[1], pvc[2], pod)
        self.add(
            "statefulsets.apps",
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "metadata": meta("StatefulSet", name, ns, labels=labels, generation=2),
                "spec": {
                    "replicas": replicas,
                    "serviceName": name,
                    "selector": {"matchLabels": labels},
                    # The API server requires the template's labels to match the selector;
                    # the quorum preflight reads them (app.kubernetes.io/name: vault).
                    "template": {"metadata": {"labels": labels}},
                },
                "status": {
                    "observedGeneration": 2,
                    "replicas": replicas,
                    "readyReplicas": replicas,
                    "availableReplicas": replicas,
                    "currentReplicas": replicas,
                    "updatedReplicas": replicas,
                },
            },
        )
        return pods

    def daemonset(self, name: str, ns: str, image: str, nodes: list[str]) -> None:
        labels = {"app.kubernetes.io/name": name}
        for node_name in nodes:
            suffix = hashlib.sha1(f"{name}{node_name}".encode()).hexdigest()[:5]  # noqa: S324
            self.pod(
                f"{name}-{suffix}", ns, labels, ("DaemonSet", name), image, node_name=node_name
            )
        n = len(nodes)
        self.add(
            "daemonsets.apps",
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": meta("DaemonSet", name, ns, labels=labels, generation=1),
                "spec": {"selector": {"matchLabels": labels}},
                "status": {
                    "currentNumberScheduled": n,
                    "desiredNumberScheduled": n,
                    "numberAvailable": n,
                    "numberReady": n,
                    "updatedNumberScheduled": n,
                    "numberMisscheduled": 0,
                    "observedGeneration": 1,
                },
            },
        )

    def claim(self, name: str, ns: str, gib: int, used: float, pod: Obj) -> None:
        self.add(
            "persistentvolumeclaims",
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": meta("PersistentVolumeClaim", name, ns),
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": f"{gib}Gi"}},
                    "storageClassName": "longhorn",
                    "volumeName": f"pvc-{uid('pv', ns, name)}",
                },
                "status": {"phase": "Bound", "capacity": {"storage": f"{gib}Gi"}},
            },
        )
        node_name = pod["spec"]["nodeName"]
        self.pvc_usage[(ns, name)] = (node_name, pod["metadata"]["name"], used, gib)
        # Prometheus' volume had a replica on k8s-worker05, now down for its disk swap.
        degraded = name.startswith("prometheus-db")
        self.add(
            "volumes.longhorn.io",
            {
                "apiVersion": "longhorn.io/v1beta2",
                "kind": "Volume",
                "metadata": meta("Volume", f"pvc-{uid('pv', ns, name)}", "longhorn-system"),
                "spec": {"numberOfReplicas": 3, "size": str(gib * GI), "dataLocality": "disabled"},
                "status": {
                    "state": "attached",
                    "robustness": "degraded" if degraded else "healthy",
                    "currentNodeID": node_name,
                    "kubernetesStatus": {
                        "namespace": ns,
                        "pvcName": name,
                        "pvName": f"pvc-{uid('pv', ns, name)}",
                        "workloadsStatus": [
                            {"podName": pod["metadata"]["name"], "podStatus": "Running"}
                        ],
                    },
                    **({"lastDegradedAt": "2026-11-25T22:10:00Z"} if degraded else {}),
                },
            },
        )


def build() -> tuple[Cluster, Obj]:
    c = Cluster()
    for i, name in enumerate(NODES):
        c.add("nodes", node(name, f"10.10.0.{103 + i}"))
    every = NODES
    # kube-system
    for comp in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        c.pod(
            f"{comp}-k8s-cp01",
            "kube-system",
            {"component": comp},
            ("Node", "k8s-cp01"),
            f"registry.k8s.io/{comp}:v1.28.15"
            if comp != "etcd"
            else "registry.k8s.io/etcd:3.5.15-0",
            node_name="k8s-cp01",
        )
    c.deployment("coredns", "kube-system", "registry.k8s.io/coredns/coredns:v1.10.1", 2)
    c.deployment(
        "metrics-server", "kube-system", "registry.k8s.io/metrics-server/metrics-server:v0.7.2"
    )
    c.daemonset("kube-proxy", "kube-system", "registry.k8s.io/kube-proxy:v1.28.15", every)
    c.daemonset("kube-flannel-ds", "kube-flannel", "ghcr.io/flannel-io/flannel:v0.26.1", every)
    # platform
    c.daemonset("speaker", "metallb-system", "quay.io/metallb/speaker:v0.14.8", every)
    c.deployment("controller", "metallb-system", "quay.io/metallb/controller:v0.14.8")
    c.deployment(
        "ingress-nginx-controller",
        "ingress-nginx",
        "registry.k8s.io/ingress-nginx/controller:v1.11.3",
    )
    c.deployment("cloudflared", "cloudflared", "cloudflare/cloudflared:2024.11.0", 2)
    for name in ("cert-manager", "cert-manager-cainjector", "cert-manager-webhook"):
        c.deployment(name, "cert-manager", f"quay.io/jetstack/{name}:v1.16.2")
    c.daemonset(
        "longhorn-manager", "longhorn-system", "longhornio/longhorn-manager:v1.7.2", WORKERS
    )
    c.deployment("longhorn-ui", "longhorn-system", "longhornio/longhorn-ui:v1.7.2")
    # Argo CD
    for name in (
        "argocd-server",
        "argocd-repo-server",
        "argocd-redis",
        "argocd-applicationset-controller",
        "argocd-notifications-controller",
        "argocd-dex-server",
    ):
        c.deployment(name, "argocd", "quay.io/argoproj/argocd:v2.13.1")
    c.statefulset("argocd-application-controller", "argocd", "quay.io/argoproj/argocd:v2.13.1")
    # Vault: the seed's 2 replicas
    c.statefulset(
        "vault",
        "vault",
        "hashicorp/vault:1.17.6",
        2,
        pvc=("data", 10, 0.04),
        labels={"app.kubernetes.io/name": "vault", "component": "server"},
    )
    c.deployment("vault-agent-injector", "vault", "hashicorp/vault-k8s:1.5.0")
    # Velero + MinIO
    c.deployment("velero", "velero", "velero/velero:v1.15.0")
    c.daemonset("node-agent", "velero", "velero/velero:v1.15.0", WORKERS)
    minio = c.statefulset("minio", "minio", "quay.io/minio/minio:RELEASE.2024-11-07T00-52-20Z")
    c.claim("export-minio-0", "minio", 200, 0.55, minio[0])
    # monitoring
    c.statefulset(
        "prometheus-kube-prometheus-stack-prometheus",
        "monitoring",
        "quay.io/prometheus/prometheus:v2.55.1",
        pvc=("prometheus-db", 50, 0.81),
    )
    c.statefulset(
        "alertmanager-kube-prometheus-stack-alertmanager",
        "monitoring",
        "quay.io/prometheus/alertmanager:v0.27.0",
        pvc=("alertmanager-db", 2, 0.03),
    )
    c.statefulset("loki", "monitoring", "grafana/loki:3.3.0", pvc=("storage", 20, 0.62))
    grafana = c.pod(
        "grafana-5c7d9b8f6d-x2k4q",
        "monitoring",
        {"app.kubernetes.io/name": "grafana"},
        ("ReplicaSet", "grafana-5c7d9b8f6d"),
        "grafana/grafana:11.3.1",
        pvc="grafana",
    )
    c.claim("grafana", "monitoring", 5, 0.18, grafana)
    c.add(
        "deployments.apps",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta("Deployment", "grafana", "monitoring", generation=3),
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app.kubernetes.io/name": "grafana"}},
            },
            "status": {
                "observedGeneration": 3,
                "replicas": 1,
                "readyReplicas": 1,
                "availableReplicas": 1,
                "updatedReplicas": 1,
            },
        },
    )
    c.deployment(
        "kube-prometheus-stack-operator",
        "monitoring",
        "quay.io/prometheus-operator/prometheus-operator:v0.78.2",
    )
    c.deployment(
        "kube-state-metrics",
        "monitoring",
        "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.14.0",
    )
    c.daemonset("node-exporter", "monitoring", "quay.io/prometheus/node-exporter:v1.8.2", every)
    c.daemonset("alloy", "monitoring", "grafana/alloy:v1.5.0", every)
    # TaskApp: the backend at its HPA maximum, one replica OOMKilled in CrashLoopBackOff
    oom = {
        "state": {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": "back-off 5m0s restarting failed container=backend",
            }
        },
        "restarts": 23,
        "last": {
            "reason": "OOMKilled",
            "exitCode": 137,
            "startedAt": "2026-11-26T05:52:10Z",
            "finishedAt": "2026-11-26T05:54:41Z",
        },
    }
    c.deployment(
        "taskapp-backend", "taskapp", "ghcr.io/example/taskapp-backend:1.4.2", 10, bad={3: oom}
    )
    c.deployment("taskapp-frontend", "taskapp", "ghcr.io/example/taskapp-frontend:1.4.2", 3)
    pg = c.pod(
        "postgres-7f9c6d5b4-hq8zn",
        "taskapp",
        {"app": "postgres"},
        ("ReplicaSet", "postgres-7f9c6d5b4"),
        "postgres:16.6",
        pvc="postgres-data",
    )
    c.claim("postgres-data", "taskapp", 10, 0.34, pg)
    c.add(
        "deployments.apps",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta("Deployment", "postgres", "taskapp", generation=1),
            "spec": {
                "replicas": 1,
                "strategy": {"type": "Recreate"},
                "selector": {"matchLabels": {"app": "postgres"}},
            },
            "status": {
                "observedGeneration": 1,
                "replicas": 1,
                "readyReplicas": 1,
                "availableReplicas": 1,
                "updatedReplicas": 1,
            },
        },
    )
    scaling(c)
    gitops(c)
    backups(c)
    etcd_snapshots(c)
    certificates(c)
    services(c)
    platform(c)
    return c, extras(c)


def _ready(pod: Obj) -> bool:
    conditions = pod["status"].get("conditions") or []
    return any(x["type"] == "Ready" and x["status"] == "True" for x in conditions)


def services(c: Cluster) -> None:
    """A Service and its EndpointSlice per Deployment/StatefulSet, from its pods' readiness."""
    for resource in ("deployments.apps", "statefulsets.apps"):
        for workload in c.objects.get(resource, []):
            ns, name = workload["metadata"]["namespace"], workload["metadata"]["name"]
            selector = workload["spec"]["selector"]["matchLabels"]
            pods = [
                p
                for p in c.objects["pods"]
                if p["metadata"]["namespace"] == ns
                and all(p["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())
            ]
            c.add(
                "services",
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": meta("Service", name, ns),
                    "spec": {
                        "type": "ClusterIP",
                        "selector": selector,
                        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
                    },
                },
            )
            endpoints = [
                {
                    "addresses": [f"10.244.1.{10 + i}"],
                    "conditions": {"ready": _ready(p), "serving": _ready(p), "terminating": False},
                    "nodeName": p["spec"]["nodeName"],
                    "targetRef": {"kind": "Pod", "name": p["metadata"]["name"], "namespace": ns},
                }
                for i, p in enumerate(pods)
            ]
            c.add(
                "endpointslices.discovery.k8s.io",
                {
                    "apiVersion": "discovery.k8s.io/v1",
                    "kind": "EndpointSlice",
                    "metadata": meta(
                        "EndpointSlice",
                        f"{name}-abcde",
                        ns,
                        labels={"kubernetes.io/service-name": name},
                    ),
                    "addressType": "IPv4",
                    "endpoints": endpoints,
                    "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
                },
            )


def platform(c: Cluster) -> None:
    """Namespaces, the issuer, the webhooks, the health CronJob and the PVs behind the PVCs."""
    for ns in sorted({p["metadata"]["namespace"] for p in c.objects["pods"]} | {"default"}):
        c.add(
            "namespaces",
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": meta("Namespace", ns, labels={"kubernetes.io/metadata.name": ns}),
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            },
        )
    ready = {"type": "Ready", "status": "True", "reason": "ACMEAccountRegistered"}
    c.add(
        "clusterissuers.cert-manager.io",
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "ClusterIssuer",
            "metadata": meta("ClusterIssuer", "letsencrypt-prod"),
            "spec": {"acme": {"server": "https://acme-v02.api.letsencrypt.org/directory"}},
            "status": {"conditions": [ready]},
        },
    )
    for kind, resource, name, service, ns in (
        (
            "ValidatingWebhookConfiguration",
            "validatingwebhookconfigurations.admissionregistration.k8s.io",
            "cert-manager-webhook",
            "cert-manager-webhook",
            "cert-manager",
        ),
        (
            "MutatingWebhookConfiguration",
            "mutatingwebhookconfigurations.admissionregistration.k8s.io",
            "vault-agent-injector-cfg",
            "vault-agent-injector",
            "vault",
        ),
    ):
        c.add(
            resource,
            {
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": kind,
                "metadata": meta(kind, name),
                "webhooks": [
                    {
                        "name": f"{service}.example.com",
                        "admissionReviewVersions": ["v1"],
                        "clientConfig": {
                            "service": {"namespace": ns, "name": service, "port": 443}
                        },
                        "failurePolicy": "Fail" if kind.startswith("Validating") else "Ignore",
                        "sideEffects": "None",
                    }
                ],
            },
        )
    c.add(
        "cronjobs.batch",
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": meta("CronJob", "labctl-health", "monitoring"),
            "spec": {"schedule": "*/5 * * * *", "suspend": False, "jobTemplate": {"spec": {}}},
            "status": {
                "lastScheduleTime": "2026-11-26T05:55:00Z",
                "lastSuccessfulTime": "2026-11-26T05:55:21Z",
            },
        },
    )
    job_ref = {"apiVersion": "batch/v1", "kind": "CronJob", "name": "labctl-health"}
    c.add(
        "jobs.batch",
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": meta(
                "Job",
                "labctl-health-29400355",
                "monitoring",
                ownerReferences=[{**job_ref, "controller": True, "uid": uid("CronJob", "x")}],
            ),
            "spec": {"backoffLimit": 0},
            "status": {
                "startTime": "2026-11-26T05:55:00Z",
                "completionTime": "2026-11-26T05:55:21Z",
                "succeeded": 1,
                "conditions": [{"type": "Complete", "status": "True"}],
            },
        },
    )
    for claim in c.objects.get("persistentvolumeclaims", []):
        ns, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
        c.add(
            "persistentvolumes",
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": meta("PersistentVolume", f"pvc-{uid('PVC', ns, name)}"),
                "spec": {
                    "claimRef": {"kind": "PersistentVolumeClaim", "namespace": ns, "name": name},
                    "persistentVolumeReclaimPolicy": "Delete",
                    "storageClassName": "longhorn",
                },
                "status": {"phase": "Bound"},
            },
        )


def hpa(
    name: str, current: int, desired: int, minimum: int, maximum: int, cpu: int, limited: bool
) -> Obj:
    conditions = [
        {
            "type": "AbleToScale",
            "status": "True",
            "reason": "ReadyForNewScale",
            "message": "recommended size matches current size",
        },
        {
            "type": "ScalingActive",
            "status": "True",
            "reason": "ValidMetricFound",
            "message": "the HPA was able to successfully calculate a replica count from cpu "
            "resource utilization",
        },
        {
            "type": "ScalingLimited",
            "status": "True" if limited else "False",
            "reason": "TooManyReplicas" if limited else "DesiredWithinRange",
            "message": "the desired replica count is more than the maximum replica count"
            if limited
            else "the desired count is within the acceptable range",
        },
    ]
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta("HorizontalPodAutoscaler", name, "taskapp"),
        "spec": {
            "minReplicas": minimum,
            "maxReplicas": maximum,
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
        },
        "status": {
            "currentReplicas": current,
            "desiredReplicas": desired,
            "lastScaleTime": "2026-11-26T05:31:00Z",
            "currentMetrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "current": {"averageUtilization": cpu}},
                }
            ],
            "conditions": conditions,
        },
    }


def pdb(name: str, app: str, expected: int, healthy: int) -> Obj:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta("PodDisruptionBudget", name, "taskapp", generation=1),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": app}}},
        "status": {
            "observedGeneration": 1,
            "expectedPods": expected,
            "currentHealthy": healthy,
            "desiredHealthy": 1,
            "disruptionsAllowed": max(0, healthy - 1),
            "conditions": [
                {
                    "type": "DisruptionAllowed",
                    "status": "True" if healthy > 1 else "False",
                    "reason": "SufficientPods" if healthy > 1 else "InsufficientPods",
                }
            ],
        },
    }


def scaling(c: Cluster) -> None:
    c.add("horizontalpodautoscalers.autoscaling", hpa("taskapp-backend", 10, 10, 2, 10, 96, True))
    c.add("horizontalpodautoscalers.autoscaling", hpa("taskapp-frontend", 3, 3, 2, 8, 41, False))
    c.add("poddisruptionbudgets.policy", pdb("taskapp-backend", "taskapp-backend", 10, 9))
    c.add("poddisruptionbudgets.policy", pdb("taskapp-frontend", "taskapp-frontend", 3, 3))
    c.add("poddisruptionbudgets.policy", pdb("postgres", "postgres", 1, 1))


def gitops(c: Cluster) -> None:
    apps = [
        "platform-root",
        "argocd",
        "vault",
        "velero",
        "minio",
        "cert-manager",
        "ingress-nginx",
        "cloudflared",
        "metallb",
        "longhorn",
        "kube-prometheus-stack",
        "loki",
        "alloy",
        "taskapp",
    ]
    for name in apps:
        drift = name == "kube-prometheus-stack"  # someone edited a Grafana dashboard by hand
        c.add(
            "applications.argoproj.io",
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": meta("Application", name, "argocd"),
                "spec": {
                    "project": "platform" if name != "taskapp" else "apps",
                    "source": {
                        "repoURL": "https://git.example.com/homelab/platform.git",
                        "path": f"apps/{name}",
                        "targetRevision": "main",
                    },
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": name},
                    "syncPolicy": {"automated": {"prune": True, "selfHeal": not drift}},
                },
                "status": {
                    "sync": {"status": "OutOfSync" if drift else "Synced", "revision": "4f2a9c1e"},
                    "health": {"status": "Healthy"},
                    "operationState": {
                        "phase": "Succeeded",
                        "message": "successfully synced (all tasks run)",
                        "startedAt": "2026-11-25T21:02:11Z",
                        "finishedAt": "2026-11-25T21:02:19Z",
                    },
                },
            },
        )


def backup(name: str, schedule: str, phase: str, start: str, end: str, errors: int = 0) -> Obj:
    status: Obj = {
        "phase": phase,
        "startTimestamp": start,
        "completionTimestamp": end,
        "expiration": "2026-12-26T02:00:00Z",
        "formatVersion": "1.1.0",
        "version": 1,
    }
    if errors:
        status["errors"] = errors
        status["warnings"] = 1
    return {
        "apiVersion": "velero.io/v1",
        "kind": "Backup",
        "metadata": meta(
            "Backup",
            name,
            "velero",
            labels={"velero.io/schedule-name": schedule, "velero.io/storage-location": "default"},
        ),
        "spec": {
            "storageLocation": "default",
            "ttl": "720h0m0s",
            "includedNamespaces": ["*"],
            "defaultVolumesToFsBackup": True,
        },
        "status": status,
    }


def backups(c: Cluster) -> None:
    c.add(
        "backupstoragelocations.velero.io",
        {
            "apiVersion": "velero.io/v1",
            "kind": "BackupStorageLocation",
            "metadata": meta("BackupStorageLocation", "default", "velero"),
            "spec": {
                "provider": "aws",
                "default": True,
                "accessMode": "ReadWrite",
                "objectStorage": {"bucket": "velero", "prefix": "homelab"},
                "config": {
                    "region": "minio",
                    "s3ForcePathStyle": "true",
                    "s3Url": "http://minio.minio.svc:9000",
                },
            },
            "status": {
                "phase": "Available",
                "lastSyncedTime": "2026-11-26T05:59:30Z",
                "lastValidationTime": "2026-11-26T05:59:40Z",
            },
        },
    )
    for name, cron, tmpl in (
        ("daily-full", "0 2 * * *", ["*"]),
        ("taskapp-6h", "0 */6 * * *", ["taskapp"]),
    ):
        c.add(
            "schedules.velero.io",
            {
                "apiVersion": "velero.io/v1",
                "kind": "Schedule",
                "metadata": meta("Schedule", name, "velero"),
                "spec": {
                    "schedule": cron,
                    "template": {
                        "includedNamespaces": tmpl,
                        "ttl": "720h0m0s",
                        "storageLocation": "default",
                        "defaultVolumesToFsBackup": True,
                    },
                },
                "status": {"phase": "Enabled", "lastBackup": "2026-11-26T02:00:00Z"},
            },
        )
    # Nightly full backups: the node-agent fails on Prometheus' volume three nights running.
    c.add(
        "backups.velero.io",
        backup(
            "daily-full-20261123020000",
            "daily-full",
            "Completed",
            "2026-11-23T02:00:00Z",
            "2026-11-23T02:41:07Z",
        ),
    )
    for day in ("24", "25", "26"):
        c.add(
            "backups.velero.io",
            backup(
                f"daily-full-202611{day}020000",
                "daily-full",
                "PartiallyFailed",
                f"2026-11-{day}T02:00:00Z",
                f"2026-11-{day}T02:38:52Z",
                errors=1,
            ),
        )
    for when in ("2026-11-25T18", "2026-11-26T00"):
        stamp = when.replace("-", "").replace("T", "") + "0000"
        c.add(
            "backups.velero.io",
            backup(
                f"taskapp-6h-{stamp}", "taskapp-6h", "Completed", f"{when}:00:00Z", f"{when}:03:12Z"
            ),
        )


def etcd_snapshots(c: Cluster) -> None:
    # The tree's daily etcd-snapshot CronJob (velero namespace): last night's run completed.
    for day in ("25", "26"):
        name = f"etcd-snapshot-202611{day}0115"
        c.add(
            "jobs.batch",
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": meta(
                    "Job",
                    name,
                    "velero",
                    labels={"app.kubernetes.io/name": "etcd-snapshot"},
                    ownerReferences=[
                        {
                            "apiVersion": "batch/v1",
                            "kind": "CronJob",
                            "name": "etcd-snapshot",
                            "uid": uid("CronJob", "velero", "etcd-snapshot"),
                            "controller": True,
                        }
                    ],
                ),
                "spec": {"backoffLimit": 1},
                "status": {
                    "startTime": f"2026-11-{day}T01:15:00Z",
                    "completionTime": f"2026-11-{day}T01:15:41Z",
                    "succeeded": 1,
                    "conditions": [
                        {
                            "type": "Complete",
                            "status": "True",
                            "lastTransitionTime": f"2026-11-{day}T01:15:41Z",
                        }
                    ],
                },
            },
        )


def certificates(c: Cluster) -> None:
    for name, ns, host, not_after, renewal, issuing in (
        (
            "wildcard-tls",
            "ingress-nginx",
            "*.example.com",
            "2027-01-29T09:14:00Z",
            "2026-12-30T09:14:00Z",
            False,
        ),
        (
            "grafana-tls",
            "monitoring",
            "grafana.example.com",
            "2026-12-05T11:20:00Z",
            "2026-11-05T11:20:00Z",
            True,
        ),
        (
            "vault-tls",
            "vault",
            "vault.example.com",
            "2027-02-11T16:40:00Z",
            "2027-01-12T16:40:00Z",
            False,
        ),
    ):
        conditions = [
            {
                "type": "Ready",
                "status": "True",
                "reason": "Ready",
                "message": "Certificate is up to date and has not expired",
            }
        ]
        if issuing:  # DNS01 keeps failing: the Cloudflare token lost its Zone:Read permission
            conditions.append(
                {
                    "type": "Issuing",
                    "status": "True",
                    "reason": "Failed",
                    "message": "The certificate request has failed to complete and will be retried",
                }
            )
        c.add(
            "certificates.cert-manager.io",
            {
                "apiVersion": "cert-manager.io/v1",
                "kind": "Certificate",
                "metadata": meta("Certificate", name, ns),
                "spec": {
                    "secretName": name,
                    "dnsNames": [host],
                    "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt-prod"},
                },
                "status": {
                    "conditions": conditions,
                    "notAfter": not_after,
                    "renewalTime": renewal,
                    "notBefore": "2026-09-06T11:20:00Z",
                    "revision": 3,
                },
            },
        )


def extras(c: Cluster) -> Obj:
    # kubeadm's serving certificate, a year from the cluster's creation.
    out: Obj = {
        "apiserver/serving-certificate.json": {
            "subject": "CN=kube-apiserver",
            "issuer": "CN=kubernetes",
            "notBefore": "2026-09-14T09:55:00Z",
            "notAfter": "2027-09-14T10:00:00Z",
        }
    }
    for pod, active in (("vault-0", True), ("vault-1", False)):
        out[f"vault/{pod}/sys-health.json"] = {
            "initialized": True,
            "sealed": False,
            "standby": not active,
            "performance_standby": False,
            "replication_performance_mode": "disabled",
            "replication_dr_mode": "disabled",
            "server_time_utc": 1795672800,
            "version": "1.17.6",
            "enterprise": False,
            "cluster_name": "vault-cluster-5d3c1a2b",
            "cluster_id": "6a1f0c3e-2b4d-4e8f-9a7b-1c2d3e4f5a6b",
            "echo_duration_ms": 0,
            "clock_skew_ms": 0,
        }
        out[f"vault/{pod}/sys-seal-status.json"] = {
            "type": "awskms",
            "initialized": True,
            "sealed": False,
            "t": 3,
            "n": 5,
            "progress": 0,
            "nonce": "",
            "version": "1.17.6",
            "build_date": "2024-09-24T19:48:40Z",
            "migration": False,
            "cluster_name": "vault-cluster-5d3c1a2b",
            "cluster_id": "6a1f0c3e-2b4d-4e8f-9a7b-1c2d3e4f5a6b",
            "recovery_seal": True,
            "storage_type": "raft",
        }

    def alert(name: str, severity: str, labels: Obj, summary: str, since: str) -> Obj:
        return {
            "labels": {
                "alertname": name,
                "severity": severity,
                "prometheus": "monitoring/kube-prometheus-stack-prometheus",
                **labels,
            },
            "annotations": {"summary": summary},
            "receivers": [{"name": "discord"}],
            "fingerprint": hashlib.sha1(f"{name}{labels}".encode()).hexdigest()[:16],  # noqa: S324
            "startsAt": since,
            "updatedAt": "2026-11-26T05:59:50Z",
            "endsAt": "2026-11-26T06:03:50Z",
            "generatorURL": "http://prometheus.example.com/graph",
            "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
        }

    out["alertmanager/api-v2-alerts.json"] = [
        alert(
            "Watchdog", "none", {}, "An alert that should always be firing.", "2026-11-20T04:15:00Z"
        ),
        alert(
            "HPAAtMaxReplicas",
            "warning",
            {"namespace": "taskapp", "horizontalpodautoscaler": "taskapp-backend"},
            "HPA taskapp/taskapp-backend has been at max replicas for 15m",
            "2026-11-26T05:46:00Z",
        ),
        alert(
            "KubePodCrashLooping",
            "warning",
            {"namespace": "taskapp", "pod": "taskapp-backend-x", "container": "backend"},
            "Pod is crash looping.",
            "2026-11-26T05:20:00Z",
        ),
    ]
    for (ns, name), (node_name, pod, used, gib) in c.pvc_usage.items():
        path = f"kubelet/{node_name}/stats-summary.json"
        summary = out.setdefault(
            path, {"node": {"nodeName": node_name, "startTime": "2026-11-20T04:10:00Z"}, "pods": []}
        )
        cap = gib * GI
        summary["pods"].append(
            {
                "podRef": {"name": pod, "namespace": ns, "uid": uid("Pod", ns, pod)},
                "startTime": "2026-11-20T04:11:50Z",
                "volume": [
                    {
                        "time": "2026-11-26T05:59:41Z",
                        "availableBytes": int(cap * (1 - used)),
                        "capacityBytes": cap,
                        "usedBytes": int(cap * used),
                        "inodesFree": 3200000,
                        "inodes": 3276800,
                        "inodesUsed": 76800,
                        "name": "data",
                        "pvcRef": {"name": name, "namespace": ns},
                    }
                ],
            }
        )
    for node_name in NODES:
        out.setdefault(
            f"kubelet/{node_name}/stats-summary.json",
            {"node": {"nodeName": node_name, "startTime": "2026-11-20T04:10:00Z"}, "pods": []},
        )
    return out


def write(c: Cluster, extra: Obj) -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    for resource in (k.resource for k in SNAPSHOT_KINDS):
        body = {
            "apiVersion": "v1",
            "items": c.objects.get(resource, []),
            "kind": "List",
            "metadata": {"resourceVersion": ""},
        }
        (OUT / f"{resource}.json").write_text(json.dumps(body, indent=4) + "\n")
    for path, body in extra.items():
        file = OUT / "extras" / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(body, indent=2) + "\n")
    meta_doc = {
        "formatVersion": 1,
        "takenAt": TAKEN,
        "context": "homelab",
        "serverVersion": "v1.28.15",
        "collected": sorted(c.objects),
        "extraStatus": {"vault/vault-0/sys-health.json": 200, "vault/vault-1/sys-health.json": 429},
        "notCollected": [],
    }
    (OUT / "snapshot.json").write_text(json.dumps(meta_doc, indent=2) + "\n")


if __name__ == "__main__":
    cluster, extra_bodies = build()
    write(cluster, extra_bodies)
