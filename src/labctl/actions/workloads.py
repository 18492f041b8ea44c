"""Everyday workload changes as plans with refusals: restart, scale, delete a pod, clean jobs.

- restart: the `kubectl rollout restart` annotation patch (refused on a paused Deployment).
- scale: the scale sub-resource; scaling to 0 a workload behind a PodDisruptionBudget or holding
  PersistentVolumeClaims is an outage and is refused unless forced.
- pod delete: graceful by default (the pod is Terminating until its kubelet has stopped it;
  `--wait` follows it until it is gone); `--force` is grace period 0, whose risk is explained
  first and which is refused for StatefulSet pods (two pods with one identity) unless a reason
  is given.
- jobs clean: finished Jobs older than a cut-off, deleted with their pods.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from labctl.actions.budgets import selects
from labctl.actions.kube import get_json, list_json
from labctl.actions.plan import Plan, Step

if TYPE_CHECKING:
    from lightkube import Client

Obj = dict[str, Any]  # objects as the API server sends them

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
ARGO_TRACKING = ("argocd.argoproj.io/tracking-id", "app.kubernetes.io/instance")
KINDS = {
    "deployment": "Deployment",
    "deploy": "Deployment",
    "statefulset": "StatefulSet",
    "sts": "StatefulSet",
    "daemonset": "DaemonSet",
    "ds": "DaemonSet",
    "replicaset": "ReplicaSet",
    "rs": "ReplicaSet",
}


def parse_ref(ref: str, default_kind: str = "Deployment") -> tuple[str, str]:
    """'deployment/web', 'sts/vault' or 'web' -> (Kind, name)."""
    kind, slash, name = ref.partition("/")
    if not slash:
        return default_kind, ref
    if kind.lower() not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: use deployment, statefulset, daemonset")
    return KINDS[kind.lower()], name


def read_workload(client: Client, kind: str, name: str, namespace: str) -> Obj:
    return get_json(client, kind, name, namespace)


# --- restart -------------------------------------------------------------------------------


def plan_restart(workload: Obj, now: datetime) -> Plan:
    kind, namespace, name = workload["kind"], *_ref(workload)
    spec = workload.get("spec") or {}
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    refusals, warnings = [], []
    if kind == "Deployment" and spec.get("paused"):
        refusals.append(f"{name} is paused: resume it first (kubectl rollout resume)")
    if kind == "Deployment" and (spec.get("strategy") or {}).get("type") == "Recreate":
        warnings.append(f"{name} uses the Recreate strategy: all pods stop before new ones start")
    step = Step("restart", kind, namespace, name, "roll every pod (rollout restart)", patch)
    return Plan(f"restart {kind.lower()} {name}", (step,), tuple(refusals), tuple(warnings))


# --- scale ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleInputs:
    workload: Obj
    budgets: Sequence[Obj]
    autoscalers: Sequence[Obj]


def read_scale_inputs(client: Client, kind: str, name: str, namespace: str) -> ScaleInputs:
    return ScaleInputs(
        read_workload(client, kind, name, namespace),
        list_json(client, "PodDisruptionBudget", namespace),
        list_json(client, "HorizontalPodAutoscaler", namespace),
    )


def plan_scale(inputs: ScaleInputs, replicas: int) -> Plan:
    workload = inputs.workload
    kind, namespace, name = workload["kind"], *_ref(workload)
    spec = workload.get("spec") or {}
    current = spec.get("replicas", 1)
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    budgets = [b for b in inputs.budgets if selects((b.get("spec") or {}).get("selector"), labels)]
    refusals, warnings = [], []
    if replicas == 0:
        for budget in budgets:
            refusals.append(
                f"PDB {_ref(budget)[1]} ({_rule(budget)}) protects {name}'s pods: "
                "scaling to 0 is the outage it exists to prevent"
            )
        if claims := _claims(workload):
            refusals.append(f"{name} holds data (PVC {', '.join(claims)}): scaling to 0 stops it")
    else:
        for budget in budgets:
            minimum = str((budget.get("spec") or {}).get("minAvailable"))
            if minimum.isdigit() and replicas <= int(minimum):
                warnings.append(
                    f"{replicas} replica(s) with PDB {_ref(budget)[1]} "
                    f"(minAvailable: {minimum}): node drains will block"
                )
    for hpa in inputs.autoscalers:
        hpa_spec = hpa.get("spec") or {}
        target = hpa_spec.get("scaleTargetRef") or {}
        if (target.get("kind"), target.get("name")) == (kind, name):
            warnings.append(
                f"HPA {_ref(hpa)[1]} manages {name} ({hpa_spec.get('minReplicas', 1)}-"
                f"{hpa_spec.get('maxReplicas')}): it will override this replica count"
            )
    meta = workload.get("metadata") or {}
    marks = {**(meta.get("annotations") or {}), **(meta.get("labels") or {})}
    if any(k in marks for k in ARGO_TRACKING):
        warnings.append(f"{name} is deployed by Argo CD: self-heal reverts this unless Git changes")
    reason = f"{current} -> {replicas} replicas"
    step = Step("scale", kind, namespace, name, reason, {"replicas": replicas})
    return Plan(f"scale {kind.lower()} {name}", (step,), tuple(refusals), tuple(warnings))


def _claims(workload: Obj) -> list[str]:
    spec = workload.get("spec") or {}
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    claims = [
        str(v["persistentVolumeClaim"].get("claimName"))
        for v in pod_spec.get("volumes") or []
        if v.get("persistentVolumeClaim")
    ]
    for claim in spec.get("volumeClaimTemplates") or []:
        claims.append(f"{(claim.get('metadata') or {}).get('name')}-{_ref(workload)[1]}-*")
    return claims


def _rule(budget: Obj) -> str:
    spec = budget.get("spec") or {}
    if spec.get("minAvailable") is not None:
        return f"minAvailable: {spec['minAvailable']}"
    return f"maxUnavailable: {spec.get('maxUnavailable', '?')}"


# --- pod delete ----------------------------------------------------------------------------

FORCE_RISK = (
    "--force deletes the pod from the API at once (grace period 0) without waiting for the "
    "kubelet: its containers may keep running on the node until the kubelet notices"
)


def plan_pod_delete(pod: Obj, node: Obj | None, *, force: bool, wait: bool = False) -> Plan:
    """Delete one pod (only the one planned: its uid is a precondition); with `wait`, follow it
    until it has left the API. A graceful delete only marks a pod bound to a node Terminating:
    its kubelet stops the containers, then the pod is gone."""
    namespace, name = _ref(pod)
    meta = pod.get("metadata") or {}
    owner = next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), None)
    refusals, warnings = [], []
    if owner is None:
        warnings.append(f"{name} has no controller: nothing recreates it")
    if meta.get("deletionTimestamp"):
        warnings.append(f"{name} is already Terminating (since {meta['deletionTimestamp']})")
    if force:
        warnings.append(FORCE_RISK)
        if meta.get("finalizers"):
            warnings.append(
                f"finalizers {', '.join(meta['finalizers'])} keep it in the API: "
                "a forced delete does not remove them"
            )
        if owner is not None and owner.get("kind") == "StatefulSet":
            refusals.append(
                f"{name} belongs to StatefulSet {owner.get('name')}, which recreates {name} at "
                f"once: while the old one still runs ({_node_state(pod, node)}), two pods share "
                "one identity and volume. Force only when the node is confirmed down"
            )
    elif node is not None and not _node_ready(node):
        warnings.append(
            f"{_node_state(pod, node)}: its kubelet may never confirm the deletion, so {name} "
            "stays Terminating (--force once the node is confirmed down)"
        )
    uid = meta.get("uid")
    body: dict[str, Any] = {"gracePeriodSeconds": 0} if force else {}
    if uid:
        body["uid"] = uid
    how = "grace period 0 (--force)" if force else "graceful"
    steps = [Step("delete", "Pod", namespace, name, how, body)]
    if wait:
        gone = {"pods": [{"namespace": namespace, "name": name, "uid": uid}]}
        steps.append(Step("wait", "Pod", namespace, name, "until it has left the API", gone))
    return Plan(f"delete pod {name}", tuple(steps), tuple(refusals), tuple(warnings))


def _node_ready(node: Obj | None) -> bool:
    conditions = ((node or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _node_state(pod: Obj, node: Obj | None) -> str:
    node_name = (pod.get("spec") or {}).get("nodeName")
    if node is None:
        return f"node {node_name or 'unknown'} not found"
    conditions = (node.get("status") or {}).get("conditions") or []
    ready = next((c.get("status") for c in conditions if c.get("type") == "Ready"), "Unknown")
    return f"node {node_name} Ready={ready}"


# --- jobs clean ----------------------------------------------------------------------------


def parse_age(text: str) -> timedelta:
    """'90s', '30m', '12h', '7d' -> timedelta."""
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30m, 12h, 7d)")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


def plan_jobs_clean(
    jobs: Sequence[Obj], now: datetime, older_than: timedelta, *, failed: bool = False
) -> Plan:
    steps = []
    for job in sorted(jobs, key=_ref):
        state, since = _finished(job)
        if state is None or since is None or (state == "Failed" and not failed):
            continue
        age = now - since
        if age < older_than:
            continue
        body = {"propagationPolicy": "Background"}
        reason = f"{state} {_human(age)} ago"
        steps.append(Step("delete", "Job", *_ref(job), reason, body))
    what = "finished" if failed else "completed"
    return Plan(f"delete {what} jobs older than {_human(older_than)}", tuple(steps))


def _finished(job: Obj) -> tuple[str | None, datetime | None]:
    from labctl.cluster.snapshot import parse_time

    status = job.get("status") or {}
    for condition in status.get("conditions") or []:
        kind = condition.get("type")
        if kind in ("Complete", "Failed") and condition.get("status") == "True":
            state = "Completed" if kind == "Complete" else "Failed"
            when = status.get("completionTime") or condition.get("lastTransitionTime")
            return state, parse_time(when)
    return None, None


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _ref(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or "default"), str(meta.get("name"))


# --- execution -----------------------------------------------------------------------------


def step_applier(client: Client, poll_interval: float = 1.0) -> Any:
    from labctl.actions.kube import apply_common, pods_gone

    def apply(step: Step) -> str | None:
        if step.verb == "restart":
            apply_common(client, Step("patch", step.kind, step.namespace, step.name, "", step.body))
            return "restart requested"
        if step.verb == "wait":
            return pods_gone(client, list((step.body or {})["pods"]), poll_interval)
        return apply_common(client, step)

    return apply
