"""A large generated snapshot: 1,000 nodes, 30,000 pods, 3,000 PVCs and their workloads.

Objects are shaped like `kubectl get -o json` output (metadata, a realistic spec and status),
so file sizes and parse costs resemble a real cluster of that size. About 2% of pods, 1% of
nodes and some PVCs, HPAs and PDBs carry problems, so the checks do real work.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from labctl.cluster.kinds import SNAPSHOT_KINDS

Obj = dict[str, Any]
TAKEN = "2026-11-26T06:00:00Z"


def _uid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _meta(
    rng: random.Random, name: str, ns: str | None, labels: Obj, owner: Obj | None = None
) -> Obj:
    meta: Obj = {
        "name": name,
        "uid": _uid(rng),
        "resourceVersion": str(rng.randrange(10**6, 10**8)),
        "creationTimestamp": "2026-10-01T10:00:00Z",
        "labels": labels,
        "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-20T04:00:00Z"},
    }
    if ns:
        meta["namespace"] = ns
    if owner:
        meta["ownerReferences"] = [owner]
    return meta


def node(rng: random.Random, i: int) -> Obj:
    ready = "False" if i % 100 == 7 else "True"
    conditions = [
        {
            "type": t,
            "status": "False",
            "reason": r,
            "message": m,
            "lastHeartbeatTime": TAKEN,
            "lastTransitionTime": "2026-10-01T10:00:00Z",
        }
        for t, r, m in (
            (
                "MemoryPressure",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
            ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        )
    ]
    conditions.append(
        {
            "type": "Ready",
            "status": ready,
            "reason": "KubeletReady",
            "message": "kubelet is posting ready status",
            "lastHeartbeatTime": TAKEN,
            "lastTransitionTime": "2026-10-01T10:00:00Z",
        }
    )
    name = f"node-{i:04}"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _meta(
            rng,
            name,
            None,
            {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "topology.kubernetes.io/zone": f"zone-{i % 3}",
            },
        ),
        "spec": {
            "podCIDR": f"10.{i // 250}.{i % 250}.0/24",
            **({"unschedulable": True} if i % 200 == 3 else {}),
        },
        "status": {
            "addresses": [{"type": "InternalIP", "address": f"10.20.{i // 250}.{i % 250}"}],
            "allocatable": {"cpu": "15800m", "memory": "63Gi", "pods": "110"},
            "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"},
            "conditions": conditions,
            "nodeInfo": {
                "kubeletVersion": "v1.31.4",
                "osImage": "Ubuntu 24.04.1 LTS",
                "containerRuntimeVersion": "containerd://1.7.24",
                "kernelVersion": "6.8.0-49-generic",
            },
            "images": [
                {"names": [f"registry.example.com/app-{k}:1.{k}"], "sizeBytes": 50_000_000 + k}
                for k in range(8)
            ],
        },
    }


def pod(
    rng: random.Random,
    name: str,
    ns: str,
    app: str,
    owner: Obj,
    node_name: str,
    claim: str | None,
    bad: str | None,
) -> Obj:
    image = f"registry.example.com/{app}:1.{rng.randrange(40)}"
    container: Obj = {
        "name": "app",
        "image": image,
        "imageID": f"{image}@sha256:{rng.getrandbits(256):064x}",
        "containerID": f"containerd://{rng.getrandbits(256):064x}",
        "ready": True,
        "started": True,
        "restartCount": rng.choice((0, 0, 0, 1, 2)),
        "state": {"running": {"startedAt": "2026-11-20T04:00:00Z"}},
    }
    phase = "Running"
    if bad == "crash":
        container.update(
            ready=False,
            started=False,
            restartCount=31,
            state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
            lastState={"terminated": {"reason": "OOMKilled", "exitCode": 137}},
        )
    elif bad == "pull":
        phase = "Pending"
        container.update(
            ready=False,
            started=False,
            state={"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}},
        )
    volumes: list[Obj] = [
        {
            "name": "kube-api-access",
            "projected": {
                "sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]
            },
        }
    ]
    if claim:
        volumes.append({"name": "data", "persistentVolumeClaim": {"claimName": claim}})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(rng, name, ns, {"app": app, "pod-template-hash": "7d9f8b6c5"}, owner),
        "spec": {
            "nodeName": node_name,
            "serviceAccountName": "default",
            "restartPolicy": "Always",
            "containers": [
                {
                    "name": "app",
                    "image": image,
                    "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                    "env": [
                        {"name": "LOG_LEVEL", "value": "info"},
                        {
                            "name": "POD_NAME",
                            "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
                        },
                    ],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"memory": "256Mi"},
                    },
                    "readinessProbe": {
                        "httpGet": {"path": "/ready", "port": "http"},
                        "periodSeconds": 10,
                    },
                    "livenessProbe": {
                        "httpGet": {"path": "/live", "port": "http"},
                        "periodSeconds": 10,
                    },
                    "volumeMounts": [
                        {
                            "name": "kube-api-access",
                            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                            "readOnly": True,
                        }
                    ],
                }
            ],
            "volumes": volumes,
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                }
            ],
        },
        "status": {
            "phase": phase,
            "hostIP": "10.20.0.1",
            "podIP": f"10.{rng.randrange(250)}.{rng.randrange(250)}.{rng.randrange(250)}",
            "qosClass": "Burstable",
            "startTime": "2026-11-20T04:00:00Z",
            "conditions": [
                {"type": t, "status": "True", "lastTransitionTime": "2026-11-20T04:00:00Z"}
                for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "containerStatuses": [container],
        },
    }


def build(
    nodes: int = 1000, pods: int = 30000, pvcs: int = 3000, seed: int = 7
) -> tuple[dict[str, list[Obj]], dict[str, Any]]:
    rng = random.Random(seed)
    out: dict[str, list[Obj]] = {k.resource: [] for k in SNAPSHOT_KINDS}
    extras: dict[str, Any] = {}
    node_names = [f"node-{i:04}" for i in range(nodes)]
    out["nodes"] = [node(rng, i) for i in range(nodes)]
    stats: dict[str, list[Obj]] = {n: [] for n in node_names}
    # 3 DaemonSets: one pod per node.
    daemon_pods = 3 * nodes
    for d in range(3):
        ds = f"agent-{d}"
        owner = {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "name": ds,
            "uid": _uid(rng),
            "controller": True,
        }
        for n in node_names:
            out["pods"].append(
                pod(rng, f"{ds}-{rng.getrandbits(24):06x}", "kube-system", ds, owner, n, None, None)
            )
        out["daemonsets.apps"].append(
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": _meta(rng, ds, "kube-system", {"app": ds}),
                "spec": {"selector": {"matchLabels": {"app": ds}}},
                "status": {
                    "desiredNumberScheduled": nodes,
                    "numberAvailable": nodes,
                    "numberReady": nodes,
                    "currentNumberScheduled": nodes,
                },
            }
        )
    # StatefulSets: 3 replicas each, one PVC per replica.
    sts_count = pvcs // 3
    for s in range(sts_count):
        ns, app = f"team-{s % 50:02}", f"db-{s}"
        owner = {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "name": app,
            "uid": _uid(rng),
            "controller": True,
        }
        for r in range(3):
            pod_name, claim, node_name = f"{app}-{r}", f"data-{app}-{r}", rng.choice(node_names)
            out["pods"].append(pod(rng, pod_name, ns, app, owner, node_name, claim, None))
            out["persistentvolumeclaims"].append(
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": _meta(rng, claim, ns, {"app": app}),
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "20Gi"}},
                        "storageClassName": "longhorn",
                        "volumeName": f"pvc-{_uid(rng)}",
                    },
                    "status": {
                        "phase": "Pending" if rng.random() < 0.005 else "Bound",
                        "capacity": {"storage": "20Gi"},
                    },
                }
            )
            out["volumes.longhorn.io"].append(
                {
                    "apiVersion": "longhorn.io/v1beta2",
                    "kind": "Volume",
                    "metadata": _meta(rng, f"pvc-{_uid(rng)}", "longhorn-system", {}),
                    "spec": {"numberOfReplicas": 3, "size": str(20 * 2**30)},
                    "status": {
                        "state": "attached",
                        "robustness": "degraded" if rng.random() < 0.01 else "healthy",
                        "currentNodeID": node_name,
                        "kubernetesStatus": {"namespace": ns, "pvcName": claim},
                    },
                }
            )
            used = rng.random() ** 2
            stats[node_name].append(
                {
                    "podRef": {"name": pod_name, "namespace": ns},
                    "volume": [
                        {
                            "name": "data",
                            "pvcRef": {"name": claim, "namespace": ns},
                            "capacityBytes": 20 * 2**30,
                            "usedBytes": int(used * 20 * 2**30),
                            "availableBytes": int((1 - used) * 20 * 2**30),
                        }
                    ],
                }
            )
        out["statefulsets.apps"].append(
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "metadata": _meta(rng, app, ns, {"app": app}),
                "spec": {"replicas": 3, "selector": {"matchLabels": {"app": app}}},
                "status": {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3},
            }
        )
        out["poddisruptionbudgets.policy"].append(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": _meta(rng, app, ns, {}),
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": app}}},
                "status": {
                    "disruptionsAllowed": 1,
                    "currentHealthy": 3,
                    "desiredHealthy": 2,
                    "expectedPods": 3,
                },
            }
        )
    # Deployments fill the rest, 4 replicas each.
    remaining = pods - daemon_pods - 3 * sts_count
    d = 0
    while remaining > 0:
        ns, app, replicas = f"team-{d % 50:02}", f"svc-{d}", min(4, remaining)
        owner = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": f"{app}-7d9f8b6c5",
            "uid": _uid(rng),
            "controller": True,
        }
        available = replicas
        for r in range(replicas):
            roll = rng.random()
            bad = "crash" if roll < 0.01 else "pull" if roll < 0.02 else None
            available -= bad is not None
            out["pods"].append(
                pod(
                    rng,
                    f"{app}-7d9f8b6c5-{r:05}",
                    ns,
                    app,
                    owner,
                    rng.choice(node_names),
                    None,
                    bad,
                )
            )
        out["deployments.apps"].append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": _meta(rng, app, ns, {"app": app}),
                "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}}},
                "status": {
                    "replicas": replicas,
                    "readyReplicas": available,
                    "availableReplicas": available,
                },
            }
        )
        if d % 3 == 0:
            current = rng.randrange(2, 11)
            out["horizontalpodautoscalers.autoscaling"].append(
                {
                    "apiVersion": "autoscaling/v2",
                    "kind": "HorizontalPodAutoscaler",
                    "metadata": _meta(rng, app, ns, {}),
                    "spec": {
                        "minReplicas": 2,
                        "maxReplicas": 10,
                        "scaleTargetRef": {"kind": "Deployment", "name": app},
                    },
                    "status": {
                        "currentReplicas": current,
                        "desiredReplicas": current,
                        "conditions": [
                            {"type": "AbleToScale", "status": "True"},
                            {"type": "ScalingActive", "status": "True"},
                        ],
                    },
                }
            )
        remaining -= replicas
        d += 1
    for a in range(200):
        out["applications.argoproj.io"].append(
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": _meta(rng, f"app-{a}", "argocd", {}),
                "status": {
                    "sync": {"status": "OutOfSync" if a % 40 == 0 else "Synced"},
                    "health": {"status": "Healthy"},
                },
            }
        )
    out["backupstoragelocations.velero.io"] = [
        {
            "apiVersion": "velero.io/v1",
            "kind": "BackupStorageLocation",
            "metadata": _meta(rng, n, "velero", {}),
            "spec": {"default": n == "local"},
            "status": {"phase": "Available"},
        }
        for n in ("local", "offsite")
    ]
    for sname, loc in (("daily-local", "local"), ("daily-offsite", "offsite")):
        out["schedules.velero.io"].append(
            {
                "apiVersion": "velero.io/v1",
                "kind": "Schedule",
                "metadata": _meta(rng, sname, "velero", {}),
                "spec": {"schedule": "0 2 * * *", "template": {"storageLocation": loc}},
            }
        )
        for day in range(1, 26):
            out["backups.velero.io"].append(
                {
                    "apiVersion": "velero.io/v1",
                    "kind": "Backup",
                    "metadata": _meta(
                        rng,
                        f"{sname}-202611{day:02}020000",
                        "velero",
                        {"velero.io/schedule-name": sname},
                    ),
                    "status": {
                        "phase": "Completed",
                        "completionTimestamp": f"2026-11-{day:02}T02:30:00Z",
                    },
                }
            )
    for c in range(300):
        out["certificates.cert-manager.io"].append(
            {
                "apiVersion": "cert-manager.io/v1",
                "kind": "Certificate",
                "metadata": _meta(rng, f"cert-{c}", f"team-{c % 50:02}", {}),
                "status": {
                    "conditions": [{"type": "Ready", "status": "True"}],
                    "notAfter": "2027-01-20T00:00:00Z",
                    "renewalTime": "2026-12-21T00:00:00Z",
                },
            }
        )
    _services(rng, out)
    _platform(rng, out)
    extras["apiserver/serving-certificate.json"] = {
        "subject": "CN=kube-apiserver",
        "issuer": "CN=kubernetes",
        "notBefore": "2026-03-01T00:00:00Z",
        "notAfter": "2027-03-01T00:00:00Z",
    }
    for n, entries in stats.items():
        extras[f"kubelet/{n}/stats-summary.json"] = {"node": {"nodeName": n}, "pods": entries}
    for p, active in (("vault-0", True), ("vault-1", False), ("vault-2", False)):
        extras[f"vault/{p}/sys-health.json"] = {
            "initialized": True,
            "sealed": False,
            "standby": not active,
        }
        extras[f"vault/{p}/sys-seal-status.json"] = {
            "type": "awskms",
            "initialized": True,
            "sealed": False,
            "storage_type": "raft",
        }
    extras["alertmanager/api-v2-alerts.json"] = [
        {"labels": {"alertname": "Watchdog", "severity": "none"}, "status": {"state": "active"}}
    ]
    return out, extras


def _services(rng: random.Random, out: dict[str, list[Obj]]) -> None:
    """A Service and an EndpointSlice per Deployment and StatefulSet, from its pods."""
    by_app: dict[tuple[str, str], list[Obj]] = {}
    for p in out["pods"]:
        key = (p["metadata"]["namespace"], p["metadata"]["labels"].get("app", ""))
        by_app.setdefault(key, []).append(p)
    for resource in ("deployments.apps", "statefulsets.apps"):
        for workload in out[resource]:
            ns, app = workload["metadata"]["namespace"], workload["metadata"]["name"]
            out["services"].append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": _meta(rng, app, ns, {"app": app}),
                    "spec": {
                        "type": "ClusterIP",
                        "clusterIP": f"10.96.{rng.randrange(250)}.{rng.randrange(250)}",
                        "selector": {"app": app},
                        "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
                    },
                }
            )
            endpoints = [
                {
                    "addresses": [p["status"]["podIP"]],
                    "conditions": {"ready": True, "serving": True, "terminating": False},
                    "nodeName": p["spec"]["nodeName"],
                    "targetRef": {"kind": "Pod", "namespace": ns, "name": p["metadata"]["name"]},
                }
                for p in by_app.get((ns, app), [])
            ]
            labels = {"kubernetes.io/service-name": app}
            out["endpointslices.discovery.k8s.io"].append(
                {
                    "apiVersion": "discovery.k8s.io/v1",
                    "kind": "EndpointSlice",
                    "metadata": _meta(rng, f"{app}-{rng.getrandbits(20):05x}", ns, labels),
                    "addressType": "IPv4",
                    "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
                    "endpoints": endpoints,
                }
            )


def _platform(rng: random.Random, out: dict[str, list[Obj]]) -> None:
    """Namespaces, a PV per PVC, CronJobs and their Jobs, warning events, webhooks, issuers."""
    for ns in sorted({p["metadata"]["namespace"] for p in out["pods"]}):
        out["namespaces"].append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": _meta(rng, ns, None, {"kubernetes.io/metadata.name": ns}),
                "status": {"phase": "Active"},
            }
        )
    for claim in out["persistentvolumeclaims"]:
        meta = claim["metadata"]
        out["persistentvolumes"].append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": _meta(rng, claim["spec"]["volumeName"], None, {}),
                "spec": {
                    "claimRef": {"namespace": meta["namespace"], "name": meta["name"]},
                    "persistentVolumeReclaimPolicy": "Delete",
                    "storageClassName": "longhorn",
                },
                "status": {"phase": "Bound"},
            }
        )
    for c in range(100):
        ns, name = f"team-{c % 50:02}", f"report-{c}"
        out["cronjobs.batch"].append(
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": _meta(rng, name, ns, {}),
                "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {}}},
                "status": {"lastScheduleTime": "2026-11-26T05:00:00Z"},
            }
        )
        owner = {"apiVersion": "batch/v1", "kind": "CronJob", "name": name, "controller": True}
        for hour in range(3, 6):
            failed = c % 30 == 0 and hour == 5
            meta = _meta(rng, f"{name}-2940{hour:04}", ns, {}, owner)
            out["jobs.batch"].append(
                {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "metadata": meta,
                    "status": {
                        "startTime": f"2026-11-26T0{hour}:00:00Z",
                        "conditions": [
                            {"type": "Failed" if failed else "Complete", "status": "True"}
                        ],
                    },
                }
            )
    for e in range(500):
        pod = out["pods"][rng.randrange(len(out["pods"]))]["metadata"]
        out["events"].append(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": _meta(rng, f"{pod['name']}.{e:016x}", pod["namespace"], {}),
                "involvedObject": {
                    "kind": "Pod",
                    "namespace": pod["namespace"],
                    "name": pod["name"],
                },
                "reason": "BackOff",
                "message": "Back-off restarting failed container",
                "type": "Warning",
                "count": rng.randrange(1, 100),
                "lastTimestamp": "2026-11-26T05:50:00Z",
            }
        )
    ready = [{"type": "Ready", "status": "True"}]
    out["clusterissuers.cert-manager.io"].append(
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "ClusterIssuer",
            "metadata": _meta(rng, "letsencrypt", None, {}),
            "status": {"conditions": ready},
        }
    )


def write(folder: Path, **sizes: int) -> Path:
    resources, extras = build(**sizes)
    folder.mkdir(parents=True, exist_ok=True)
    for resource, items in resources.items():
        body = {
            "apiVersion": "v1",
            "items": items,
            "kind": "List",
            "metadata": {"resourceVersion": ""},
        }
        (folder / f"{resource}.json").write_text(json.dumps(body, indent=4))
    for path, body in extras.items():
        file = folder / "extras" / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(body))
    meta = {
        "formatVersion": 1,
        "takenAt": TAKEN,
        "context": "bench",
        "serverVersion": "v1.31.4",
        "notCollected": [],
    }
    (folder / "snapshot.json").write_text(json.dumps(meta))
    return folder


if __name__ == "__main__":
    import sys

    write(Path(sys.argv[1]))
