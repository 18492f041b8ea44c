"""Everyday workload changes as plans with refusals: restart, scale, delete a pod, clean jobs.

- restart: the `kubectl rollout restart` annotation patch (refused on a paused Deployment).
- scale: the scale sub-resource; scaling to 0 a workload behind a PodDisruptionBudget or holding
  PersistentVolumeClaims is an outage and is refused unless forced.
- pod delete: graceful by default; `--force` is grace period 0, whose risk is explained first and
  which is refused for StatefulSet pods (two pods with one identity) unless a reason is given.
- jobs clean: finished Jobs older than a cut-off, deleted with their pods.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

from labctl.actions.drain import selects
from labctl.actions.plan import Plan, Step

if TYPE_CHECKING:
    from lightkube import Client

# lightkube's models make every field Optional; these functions read objects the API server
# returned (metadata and spec present), so they take them as Any rather than assert each field.
Pod: TypeAlias = Any
Node: TypeAlias = Any
Job: TypeAlias = Any
PodDisruptionBudget: TypeAlias = Any
HorizontalPodAutoscaler: TypeAlias = Any

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


def read_workload(client: Client, kind: str, name: str, namespace: str) -> Any:
    from labctl.actions.kube import resource

    return client.get(resource(kind), name, namespace=namespace)


# --- restart -------------------------------------------------------------------------------


def plan_restart(workload: Any, now: datetime) -> Plan:
    kind, name, namespace = workload.kind, workload.metadata.name, workload.metadata.namespace
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    refusals, warnings = [], []
    if kind == "Deployment" and workload.spec.paused:
        refusals.append(f"{name} is paused: resume it first (kubectl rollout resume)")
    strategy = (
        workload.spec.strategy.type if kind == "Deployment" and workload.spec.strategy else ""
    )
    if strategy == "Recreate":
        warnings.append(f"{name} uses the Recreate strategy: all pods stop before new ones start")
    step = Step("restart", kind, namespace, name, "roll every pod (rollout restart)", patch)
    return Plan(f"restart {kind.lower()} {name}", (step,), tuple(refusals), tuple(warnings))


# --- scale ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleInputs:
    workload: Any
    budgets: Sequence[PodDisruptionBudget]
    autoscalers: Sequence[HorizontalPodAutoscaler]


def read_scale_inputs(client: Client, kind: str, name: str, namespace: str) -> ScaleInputs:
    from lightkube.resources.autoscaling_v2 import HorizontalPodAutoscaler
    from lightkube.resources.policy_v1 import PodDisruptionBudget

    return ScaleInputs(
        read_workload(client, kind, name, namespace),
        list(client.list(PodDisruptionBudget, namespace=namespace)),
        list(client.list(HorizontalPodAutoscaler, namespace=namespace)),
    )


def plan_scale(inputs: ScaleInputs, replicas: int) -> Plan:
    workload = inputs.workload
    kind, name, namespace = workload.kind, workload.metadata.name, workload.metadata.namespace
    current = workload.spec.replicas if workload.spec.replicas is not None else 1
    labels = (
        (workload.spec.template.metadata.labels or {}) if workload.spec.template.metadata else {}
    )
    budgets = [b for b in inputs.budgets if b.spec and selects(b.spec.selector, labels)]
    refusals, warnings = [], []
    if replicas == 0:
        for budget in budgets:
            refusals.append(
                f"PDB {budget.metadata.name} ({_rule(budget)}) protects {name}'s pods: "
                "scaling to 0 is the outage it exists to prevent"
            )
        if claims := _claims(workload):
            refusals.append(f"{name} holds data (PVC {', '.join(claims)}): scaling to 0 stops it")
    else:
        for budget in budgets:
            minimum = str(budget.spec.minAvailable)
            if minimum.isdigit() and replicas <= int(minimum):
                warnings.append(
                    f"{replicas} replica(s) with PDB {budget.metadata.name} "
                    f"(minAvailable: {minimum}): node drains will block"
                )
    for hpa in inputs.autoscalers:
        target = hpa.spec.scaleTargetRef
        if (target.kind, target.name) == (kind, name):
            warnings.append(
                f"HPA {hpa.metadata.name} manages {name} ({hpa.spec.minReplicas or 1}-"
                f"{hpa.spec.maxReplicas}): it will override this replica count"
            )
    annotations = workload.metadata.annotations or {}
    labels_top = workload.metadata.labels or {}
    if any(k in annotations or k in labels_top for k in ARGO_TRACKING):
        warnings.append(f"{name} is deployed by Argo CD: self-heal reverts this unless Git changes")
    reason = f"{current} -> {replicas} replicas"
    step = Step("scale", kind, namespace, name, reason, {"replicas": replicas})
    return Plan(f"scale {kind.lower()} {name}", (step,), tuple(refusals), tuple(warnings))


def _claims(workload: Any) -> list[str]:
    template = workload.spec.template.spec
    claims = [
        v.persistentVolumeClaim.claimName
        for v in (template.volumes or [] if template else [])
        if v.persistentVolumeClaim is not None
    ]
    for claim in getattr(workload.spec, "volumeClaimTemplates", None) or []:
        claims.append(f"{claim.metadata.name}-{workload.metadata.name}-*")
    return claims


def _rule(budget: PodDisruptionBudget) -> str:
    spec = budget.spec
    if spec is not None and spec.minAvailable is not None:
        return f"minAvailable: {spec.minAvailable}"
    return f"maxUnavailable: {spec.maxUnavailable if spec else '?'}"


# --- pod delete ----------------------------------------------------------------------------

FORCE_RISK = (
    "--force deletes the pod from the API at once (grace period 0) without waiting for the "
    "kubelet: its containers may keep running on the node until the kubelet notices"
)


def plan_pod_delete(pod: Pod, node: Node | None, *, force: bool) -> Plan:
    name, namespace = pod.metadata.name, pod.metadata.namespace
    owner = next((o for o in pod.metadata.ownerReferences or [] if o.controller), None)
    refusals, warnings = [], []
    if owner is None:
        warnings.append(f"{name} has no controller: nothing recreates it")
    if force:
        warnings.append(FORCE_RISK)
        if pod.metadata.finalizers:
            warnings.append(
                f"finalizers {', '.join(pod.metadata.finalizers)} keep it in the API: "
                "a forced delete does not remove them"
            )
        if owner is not None and owner.kind == "StatefulSet":
            refusals.append(
                f"{name} belongs to StatefulSet {owner.name}, which recreates {name} at once: "
                f"while the old one still runs ({_node_state(pod, node)}), two pods share one "
                "identity and volume. Force only when the node is confirmed down"
            )
    body: dict[str, Any] = {"gracePeriodSeconds": 0} if force else {}
    how = "grace period 0 (--force)" if force else "graceful"
    step = Step("delete", "Pod", namespace, name, how, body)
    return Plan(f"delete pod {name}", (step,), tuple(refusals), tuple(warnings))


def _node_state(pod: Pod, node: Node | None) -> str:
    node_name = pod.spec.nodeName if pod.spec else None
    if node is None:
        return f"node {node_name or 'unknown'} not found"
    ready = next(
        (c.status for c in (node.status.conditions or []) if c.type == "Ready"),
        "Unknown",
    )
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
    jobs: Sequence[Job], now: datetime, older_than: timedelta, *, failed: bool = False
) -> Plan:
    steps = []
    for job in sorted(jobs, key=lambda j: (j.metadata.namespace, j.metadata.name)):
        state, since = _finished(job)
        if state is None or since is None or (state == "Failed" and not failed):
            continue
        age = now - since
        if age < older_than:
            continue
        body = {"propagationPolicy": "Background"}
        reason = f"{state} {_human(age)} ago"
        steps.append(Step("delete", "Job", job.metadata.namespace, job.metadata.name, reason, body))
    what = "finished" if failed else "completed"
    return Plan(f"delete {what} jobs older than {_human(older_than)}", tuple(steps))


def _finished(job: Job) -> tuple[str | None, datetime | None]:
    status = job.status
    if status is None:
        return None, None
    for condition in status.conditions or []:
        if condition.type in ("Complete", "Failed") and condition.status == "True":
            state = "Completed" if condition.type == "Complete" else "Failed"
            return state, status.completionTime or condition.lastTransitionTime
    return None, None


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# --- execution -----------------------------------------------------------------------------


def step_applier(client: Client) -> Any:
    from labctl.actions.kube import apply_common

    def apply(step: Step) -> str | None:
        if step.verb == "restart":
            apply_common(client, Step("patch", step.kind, step.namespace, step.name, "", step.body))
            return "restart requested"
        return apply_common(client, step)

    return apply
