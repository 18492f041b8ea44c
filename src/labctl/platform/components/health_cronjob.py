"""`labctl health` in the cluster: a read-only ServiceAccount, minimal RBAC, and a CronJob.

The roles are built from `labctl.cluster.collect.rbac_rules()`, the exact permissions the
collector uses (a test compares them with the calls it makes): `list` on the kinds it reads,
cluster-wide; `get` on `pods/proxy` only in Vault's namespace and on `services/proxy` only in
Alertmanager's (namespaced Roles); `get` on `nodes/proxy` for PVC usage from kubelet stats.
`nodes/proxy` reaches the whole kubelet API, so `pvc_usage=False` leaves it out (the storage
usage checks then report unknown).

The CronJob writes Prometheus text exposition atomically into node-exporter's textfile
collector directory on one node (a hostPath that must exist and be writable by uid 65534:
`HOST_SETUP`; node-exporter reads it with `node_exporter_values()`). It is pinned to that node
(`node_selector`, by default the control plane), so one node exports `labctl_health_*` and no
stale copy is left on another. Its API token is a projected, 10-minute token mounted only into
its container.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from labctl.cluster.collect import CollectSettings, Rule, rbac_rules

Obj = dict[str, Any]

NAME = "labctl-health"
TEXTFILE_DIR = "/var/lib/node_exporter/textfile_collector"
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
RUN_AS = 65534  # nobody, as node-exporter itself runs
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"  # where in-cluster clients look
NODE_EXPORTER_MOUNT = "/host/labctl-textfile"
# Run once on the node the CronJob is pinned to (e.g. in the kubeadm node setup).
HOST_SETUP = f"install -d -m 0755 -o {RUN_AS} -g {RUN_AS} {TEXTFILE_DIR}"


def _labels() -> dict[str, str]:
    return {
        "app.kubernetes.io/name": NAME,
        "app.kubernetes.io/part-of": "platform-lab",
        "app.kubernetes.io/managed-by": "labctl",
    }


def _meta(name: str, namespace: str | None = None) -> Obj:
    meta: Obj = {"name": name, "labels": _labels()}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


def policy_rules(rules: list[Rule]) -> list[Obj]:
    """RBAC PolicyRules, one per (apiGroup, verbs), resources sorted."""
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    for rule in rules:
        grouped[(rule.api_group, rule.verbs)].append(rule.resource)
    return [
        {"apiGroups": [group], "resources": sorted(resources), "verbs": list(verbs)}
        for (group, verbs), resources in sorted(grouped.items())
    ]


def _binding(kind: str, name: str, namespace: str | None, service_ns: str) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": f"{kind}Binding",
        "metadata": _meta(name, namespace),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": service_ns}],
    }


def rbac(namespace: str, settings: CollectSettings | None = None) -> list[Obj]:
    """ServiceAccount, ClusterRole(+Binding) and a Role(+Binding) per proxied namespace."""
    rules = rbac_rules(settings)
    objects: list[Obj] = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(NAME, namespace),
            "automountServiceAccountToken": False,  # mounted only into the CronJob's pod
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": _meta(NAME),
            "rules": policy_rules([r for r in rules if r.namespace is None]),
        },
        _binding("ClusterRole", NAME, None, namespace),
    ]
    by_namespace: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        if rule.namespace is not None:
            by_namespace[rule.namespace].append(rule)
    for ns, ns_rules in sorted(by_namespace.items()):
        objects.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": _meta(NAME, ns),
                "rules": policy_rules(ns_rules),
            }
        )
        objects.append(_binding("Role", NAME, ns, namespace))
    return objects


def _api_token_volume() -> Obj:
    """What automounting would give (token, CA, namespace), with a 10-minute token."""
    return {
        "name": "api-token",
        "projected": {
            "sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 600}},
                {
                    "configMap": {
                        "name": "kube-root-ca.crt",
                        "items": [{"key": "ca.crt", "path": "ca.crt"}],
                    }
                },
                {
                    "downwardAPI": {
                        "items": [
                            {"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}
                        ]
                    }
                },
            ]
        },
    }


def node_exporter_values(textfile_dir: str = TEXTFILE_DIR) -> Obj:
    """prometheus-node-exporter chart values that read the CronJob's file.

    Append `extraArgs` to the chart's own list (Helm replaces lists): the textfile collector is
    on by default and only needs a directory.
    """
    return {
        "extraArgs": [f"--collector.textfile.directory={NODE_EXPORTER_MOUNT}"],
        "extraHostVolumeMounts": [
            {
                "name": "labctl-textfile",
                "hostPath": textfile_dir,
                "mountPath": NODE_EXPORTER_MOUNT,
                "readOnly": True,
                "mountPropagation": "HostToContainer",
            }
        ],
    }


def _command(settings: CollectSettings, output: str) -> list[str]:
    vault, am = settings.vault, settings.alertmanager
    command = [
        "labctl",
        "health",
        "--output",
        "prometheus",
        "--write",
        output,
        "--exit-zero",  # findings are data for alerts, not a failed Job
        "--vault-namespace",
        vault.namespace,
        "--vault-selector",
        vault.selector,
        "--alertmanager",
        f"{am.namespace}/{am.service}:{am.port}",
    ]
    if vault.scheme:
        command += ["--vault-scheme", vault.scheme]
    if not settings.kubelet_stats:
        command.append("--no-kubelet-stats")
    return command


def cronjob(
    namespace: str,
    image: str,
    schedule: str,
    settings: CollectSettings,
    textfile_dir: str = TEXTFILE_DIR,
    node_selector: dict[str, str] | None = None,
) -> Obj:
    selector = node_selector if node_selector is not None else {CONTROL_PLANE: ""}
    tolerations = (
        [{"key": CONTROL_PLANE, "operator": "Exists", "effect": "NoSchedule"}]
        if CONTROL_PLANE in selector
        else []
    )
    container = {
        "name": "health",
        "image": image,
        "command": _command(settings, "/textfile/labctl_health.prom"),
        "resources": {
            "requests": {"cpu": "50m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [
            {"name": "textfile", "mountPath": "/textfile"},
            {"name": "api-token", "mountPath": SA_DIR, "readOnly": True},
        ],
    }
    pod_spec: Obj = {
        "serviceAccountName": NAME,
        # The token is mounted explicitly below: short-lived and only in this container.
        "automountServiceAccountToken": False,
        "restartPolicy": "Never",
        "nodeSelector": selector,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [
            {"name": "textfile", "hostPath": {"path": textfile_dir, "type": "Directory"}},
            _api_token_volume(),
        ],
    }
    if tolerations:
        pod_spec["tolerations"] = tolerations
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _meta(NAME, namespace),
        "spec": {
            "schedule": schedule,
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 300,
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "metadata": {"labels": _labels()},
                "spec": {
                    "backoffLimit": 0,
                    "activeDeadlineSeconds": 300,
                    "ttlSecondsAfterFinished": 3600,
                    "template": {"metadata": {"labels": _labels()}, "spec": pod_spec},
                },
            },
        },
    }


def manifests(
    namespace: str,
    image: str,
    schedule: str = "*/10 * * * *",
    *,
    settings: CollectSettings | None = None,
    pvc_usage: bool = True,
    textfile_dir: str = TEXTFILE_DIR,
    node_selector: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Everything `labctl health` needs to run in the cluster, as plain manifest dicts."""
    settings = replace(settings or CollectSettings(), kubelet_stats=pvc_usage)
    return [
        *rbac(namespace, settings),
        cronjob(namespace, image, schedule, settings, textfile_dir, node_selector),
    ]
