"""Small builders for the Kubernetes objects every component needs, as plain dicts.

Manifests are data: these functions return dicts that the tree writer dumps with
`yaml.safe_dump`. Nothing here formats YAML text.
"""

from __future__ import annotations

from typing import Any, Literal

Obj = dict[str, Any]

PART_OF = "platform-lab"
MANAGED_BY = "labctl"
PodSecurity = Literal["restricted", "baseline", "privileged"]


def labels(name: str, component: str | None = None) -> dict[str, str]:
    out = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    if component:
        out["app.kubernetes.io/component"] = component
    return out


def selector(name: str, component: str | None = None) -> dict[str, str]:
    out = {"app.kubernetes.io/name": name}
    if component:
        out["app.kubernetes.io/component"] = component
    return out


def meta(name: str, namespace: str | None = None, **extra: Any) -> Obj:
    out: Obj = {"name": name}
    if namespace is not None:
        out["namespace"] = namespace
    out.update({k: v for k, v in extra.items() if v})
    return out


# On a Namespace: why its volumes are deliberately not backed up (`labctl validate` trusts it).
BACKUP_EXCLUDED = "platform-lab.dev/backup-excluded"


def namespace(name: str, pod_security: PodSecurity, not_backed_up: str = "") -> Obj:
    """A Namespace; `not_backed_up` is the reason its volumes are left out of every backup."""
    # Warn at `restricted` everywhere so the gap to the strictest level stays visible.
    obj: Obj = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta(
            name,
            labels={
                "app.kubernetes.io/part-of": PART_OF,
                "pod-security.kubernetes.io/enforce": pod_security,
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            },
        ),
    }
    if not_backed_up:
        obj["metadata"]["annotations"] = {BACKUP_EXCLUDED: not_backed_up}
    return obj


def service_account(name: str, ns: str, automount: bool = False) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta(name, ns, labels=labels(name)),
        "automountServiceAccountToken": automount,
    }


def config_map(
    name: str, ns: str, data: dict[str, str], extra_labels: dict[str, str] | None = None
) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(name, ns, labels={**labels(name), **(extra_labels or {})}),
        "data": data,
    }


def service(name: str, ns: str, app: dict[str, str], ports: list[Obj], **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, ns, labels=labels(name)),
        "spec": {"selector": app, "ports": ports, **spec},
    }


def port(name: str, number: int, target: int | str | None = None, protocol: str = "TCP") -> Obj:
    return {"name": name, "port": number, "targetPort": target or number, "protocol": protocol}


def restricted_pod_security(uid: int = 10001) -> Obj:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def restricted_container_security() -> Obj:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def resources(
    cpu: str, memory: str, cpu_limit: str | None = None, memory_limit: str | None = None
) -> Obj:
    return {
        "requests": {"cpu": cpu, "memory": memory},
        "limits": {"cpu": cpu_limit or cpu, "memory": memory_limit or memory},
    }


def http_probe(
    path: str, port_name: str, period: int = 10, failures: int = 3, delay: int = 0
) -> Obj:
    probe: Obj = {
        "httpGet": {"path": path, "port": port_name},
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": failures,
    }
    if delay:
        probe["initialDelaySeconds"] = delay
    return probe


def pdb(name: str, ns: str, app: dict[str, str], max_unavailable: int = 1) -> Obj:
    """A budget that always allows one disruption, so a drain can never deadlock on it."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(name, ns, labels=labels(name)),
        "spec": {
            "maxUnavailable": max_unavailable,
            "selector": {"matchLabels": app},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }


# Paths and addresses inside containers, not on the machine running labctl.
TMP_DIR = "/tmp"  # noqa: S108 - an emptyDir in the pod
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - a pod listens on its own network namespace


def tmp_mount() -> Obj:
    return {"name": "tmp", "mountPath": TMP_DIR}
