"""Pod Security admission, as the API server's built-in PodSecurity plugin answers it.

Written from the Pod Security Standards and the Pod Security Admission pages
(kubernetes.io/docs/concepts/security/): a namespace's
`pod-security.kubernetes.io/enforce` label rejects a Pod that violates the level (403); `warn`
adds a `Warning` header, for Pods and for the pod templates of workload resources alike (enforce
does not apply to workload resources: their pods are refused later, when the controller creates
them). The message format is the plugin's: `violates PodSecurity "restricted:latest": <check>
(<detail>), ...`.

The checks modelled are the ones labctl's manifests touch; the others of the standards (AppArmor,
SELinux, /proc mount, sysctls, Windows host process) are not evaluated, so a pod using them passes
here where a real server might refuse it.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

LEVELS = ("privileged", "baseline", "restricted")
ENFORCE = "pod-security.kubernetes.io/enforce"
WARN = "pod-security.kubernetes.io/warn"
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}
BASELINE_CAPABILITIES = {
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
}
RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def pod_spec_of(obj: Obj) -> tuple[Obj, Obj] | None:
    """(pod metadata, pod spec) of a Pod or of a workload's pod template; None for other kinds."""
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return obj.get("metadata") or {}, spec
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    elif obj.get("kind") not in WORKLOADS:
        return None
    template = spec.get("template") or {}
    return template.get("metadata") or {}, template.get("spec") or {}


def violations(level: str, pod_spec: Obj) -> list[str]:
    """The checks of `level` this pod spec fails, each as the plugin words it."""
    if level not in ("baseline", "restricted"):
        return []
    found = _baseline(pod_spec)
    if level == "restricted":
        found += _restricted(pod_spec)
    return found


def _containers(pod_spec: Obj) -> list[Obj]:
    return [
        *(pod_spec.get("initContainers") or []),
        *(pod_spec.get("containers") or []),
        *(pod_spec.get("ephemeralContainers") or []),
    ]


def _names(containers: list[Obj]) -> str:
    quoted = ", ".join(f'"{c.get("name")}"' for c in containers)
    return f"container{'s' * (len(containers) != 1)} {quoted}"


def _baseline(pod_spec: Obj) -> list[str]:
    found = []
    host = [f"{k}=true" for k in ("hostNetwork", "hostPID", "hostIPC") if pod_spec.get(k)]
    if host:
        found.append(f"host namespaces ({', '.join(host)})")
    containers = _containers(pod_spec)
    privileged = [c for c in containers if (c.get("securityContext") or {}).get("privileged")]
    if privileged:
        found.append(
            f"privileged ({_names(privileged)} must not set securityContext.privileged=true)"
        )
    added = sorted(
        {
            cap
            for c in containers
            for cap in ((c.get("securityContext") or {}).get("capabilities") or {}).get("add") or []
            if cap not in BASELINE_CAPABILITIES
        }
    )
    if added:
        found.append(f"non-default capabilities (must not include {', '.join(added)})")
    host_paths = [v["name"] for v in pod_spec.get("volumes") or [] if "hostPath" in v]
    if host_paths:
        found.append(f"hostPath volumes ({', '.join(host_paths)})")
    ports = [
        str(p["hostPort"]) for c in containers for p in c.get("ports") or [] if p.get("hostPort")
    ]
    if ports:
        found.append(f"hostPort (must not set hostPort: {', '.join(ports)})")
    return found


def _restricted(pod_spec: Obj) -> list[str]:
    found = []
    pod_context = pod_spec.get("securityContext") or {}
    containers = _containers(pod_spec)

    def context(c: Obj) -> Obj:
        return dict(c.get("securityContext") or {})

    escalating = [c for c in containers if context(c).get("allowPrivilegeEscalation") is not False]
    if escalating:
        found.append(
            f"allowPrivilegeEscalation != false ({_names(escalating)} must set "
            "securityContext.allowPrivilegeEscalation=false)"
        )
    undropped = [
        c
        for c in containers
        if "ALL" not in ((context(c).get("capabilities") or {}).get("drop") or [])
    ]
    if undropped:
        found.append(
            f"unrestricted capabilities ({_names(undropped)} must set "
            'securityContext.capabilities.drop=["ALL"])'
        )
    volumes = sorted(
        {
            f'"{v["name"]}"'
            for v in pod_spec.get("volumes") or []
            if not (set(v) - {"name"}) & RESTRICTED_VOLUMES and "hostPath" not in v
        }
    )
    if volumes:
        found.append(
            f"restricted volume types (volumes {', '.join(volumes)} use types not allowed)"
        )
    as_root = [
        c
        for c in containers
        if context(c).get("runAsNonRoot", pod_context.get("runAsNonRoot")) is not True
    ]
    if as_root:
        found.append(
            f"runAsNonRoot != true (pod or {_names(as_root)} must set "
            "securityContext.runAsNonRoot=true)"
        )
    uid_zero = [
        c for c in containers if context(c).get("runAsUser", pod_context.get("runAsUser")) == 0
    ]
    if uid_zero:
        found.append(f"runAsUser=0 (pod or {_names(uid_zero)} must not set runAsUser=0)")
    unconfined = [
        c
        for c in containers
        if (
            (context(c).get("seccompProfile") or pod_context.get("seccompProfile") or {}).get(
                "type"
            )
        )
        not in ("RuntimeDefault", "Localhost")
    ]
    if unconfined:
        found.append(
            f"seccompProfile (pod or {_names(unconfined)} must set "
            'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
        )
    return found


def admit(namespace: Obj | None, obj: Obj) -> tuple[str | None, list[str]]:
    """(the reason to refuse, or None; the warnings) for creating or updating `obj`."""
    target = pod_spec_of(obj)
    if target is None or namespace is None:
        return None, []
    labels = (namespace.get("metadata") or {}).get("labels") or {}
    pod_spec = target[1]
    refusal = None
    enforce = labels.get(ENFORCE, "privileged")
    if obj.get("kind") == "Pod" and (failed := violations(enforce, pod_spec)):
        refusal = f'violates PodSecurity "{_policy(labels, "enforce")}": {", ".join(failed)}'
    warnings = []
    warn = labels.get(WARN, "privileged")
    if refusal is None and (failed := violations(warn, pod_spec)):
        warnings.append(
            f'would violate PodSecurity "{_policy(labels, "warn")}": {", ".join(failed)}'
        )
    return refusal, warnings


def _policy(labels: dict[str, str], mode: str) -> str:
    level = labels.get(f"pod-security.kubernetes.io/{mode}", "privileged")
    version = labels.get(f"pod-security.kubernetes.io/{mode}-version", "latest")
    return f"{level}:{version}"
