"""Draining a node like `kubectl drain --ignore-daemonsets --delete-emptydir-data`, checked first.

The preflight simulates every eviction against the PodDisruptionBudgets before anything changes:
a budget that allows no disruption while all of its pods are healthy (the seed's one-replica
PostgreSQL with `minAvailable: 1`) would answer 429 forever, so the plan refuses it. Pods are sorted
as kubectl's filters do (ops-apis.md section 6): DaemonSet and mirror pods are skipped, pods with
emptyDir volumes are evicted with a warning, pods without a controller are refused unless forced.
With `force`, the plan keeps its refusals (so running it needs `--force` and a reason) and adds
the forced steps: unmanaged pods are evicted, a pod whose budget blocks forever is deleted.

Then: cordon, evict each pod (429 is retried until the deadline), and poll until they are gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labctl.actions.kube import api_error_message, apply_common, status_code
from labctl.actions.plan import ActionFailed, Plan, Retry, Step

if TYPE_CHECKING:
    from lightkube import Client
    from lightkube.models.meta_v1 import LabelSelector
    from lightkube.resources.core_v1 import Node, Pod
    from lightkube.resources.policy_v1 import PodDisruptionBudget

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
EVICTION_RETRY_SECONDS = 5.0  # kubectl's
GONE_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Blocker:
    """A pod whose eviction a PodDisruptionBudget would refuse, and why."""

    pod: str
    budget: str
    why: str
    forever: bool


@dataclass(frozen=True)
class DrainInputs:
    node: Node
    pods: Sequence[Pod]
    budgets: Sequence[PodDisruptionBudget]


def read_inputs(client: Client, node_name: str) -> DrainInputs:
    """The node, the pods bound to it and every PDB (one GET and two LISTs)."""
    from lightkube.resources.core_v1 import Node, Pod
    from lightkube.resources.policy_v1 import PodDisruptionBudget

    node = client.get(Node, node_name)
    pods = list(client.list(Pod, namespace="*", fields={"spec.nodeName": node_name}))
    budgets = list(client.list(PodDisruptionBudget, namespace="*"))
    return DrainInputs(node, pods, budgets)


def plan_drain(inputs: DrainInputs, *, force: bool = False) -> Plan:
    node_name = _name(inputs.node)
    steps = [_cordon(inputs.node)]
    refusals: list[str] = []
    warnings: list[str] = []
    skipped_ds, skipped_mirror, to_evict = [], [], []
    for pod in sorted(inputs.pods, key=_ref):
        controller = _controller(pod)
        terminal = pod.status is not None and pod.status.phase in ("Succeeded", "Failed")
        if _annotations(pod).get(MIRROR_ANNOTATION):
            skipped_mirror.append(_ref(pod))
        elif controller and controller[0] == "DaemonSet" and not terminal:
            skipped_ds.append(_ref(pod))
        else:
            if controller is None and not terminal:
                refusals.append(
                    f"{_ref(pod)} has no controller: evicted, nothing recreates it "
                    "(kubectl: cannot delete Pods that declare no controller)"
                )
                if not force:
                    continue
                warnings.append(f"{_ref(pod)} has no controller: it will not be recreated")
            if not terminal and (volumes := _empty_dirs(pod)):
                warnings.append(f"{_ref(pod)}: emptyDir data is lost ({', '.join(volumes)})")
            to_evict.append(pod)
    if skipped_ds:
        warnings.append(f"DaemonSet pods stay: {', '.join(skipped_ds)}")
    if skipped_mirror:
        warnings.append(f"static (mirror) pods stay: {', '.join(skipped_mirror)}")

    blockers = {b.pod: b for b in preflight(to_evict, inputs.budgets)}
    waiting: list[Step] = []  # evicted last, so one slow budget does not hold up the rest
    for pod in to_evict:
        blocker = blockers.get(_ref(pod))
        if blocker is None:
            steps.append(_evict(pod, None))
        elif not blocker.forever:
            waiting.append(_evict(pod, blocker))
            warnings.append(f"{blocker.pod} waits: {blocker.why}")
        else:
            refusals.append(f"{blocker.pod} would block the drain forever: {blocker.why}")
            if force:
                steps.append(_force_delete(pod, blocker))
                warnings.append(f"{blocker.pod} is deleted, bypassing {blocker.budget}")
    steps += waiting
    evicted = [s for s in steps if s.kind == "Pod"]
    if evicted:
        gone = [
            {"namespace": s.namespace, "name": s.name, "uid": (s.body or {}).get("uid")}
            for s in evicted
        ]
        steps.append(
            Step(
                "wait",
                "Node",
                None,
                node_name,
                f"until {len(evicted)} pods are gone",
                {"pods": gone},
            )
        )
    return Plan(f"drain node {node_name}", tuple(steps), tuple(refusals), tuple(warnings))


def plan_uncordon(node: Node) -> Plan:
    name = _name(node)
    reason = "allow scheduling again" if _cordoned(node) else "not cordoned (no change)"
    step = Step("uncordon", "Node", None, name, reason, {"spec": {"unschedulable": None}})
    return Plan(f"uncordon node {name}", (step,))


def preflight(pods: Iterable[Pod], budgets: Sequence[PodDisruptionBudget]) -> list[Blocker]:
    """Simulate evicting `pods` in order against `budgets`; the pods that would get a 429."""
    allowed: dict[str, int] = {}
    blockers: list[Blocker] = []
    for pod in pods:
        if pod.status is not None and pod.status.phase in ("Succeeded", "Failed"):
            continue  # the eviction API lets finished pods go regardless of budgets
        matching = [b for b in budgets if _covers(b, pod)]
        if len(matching) > 1:
            names = ", ".join(_ref(b) for b in matching)
            why = f"more than one PDB selects it ({names}): the eviction API answers 500"
            blockers.append(Blocker(_ref(pod), names, why, forever=True))
            continue
        if not matching:
            continue
        budget = matching[0]
        key = _ref(budget)
        status = budget.status
        left = allowed.setdefault(key, (status.disruptionsAllowed or 0) if status else 0)
        if left > 0:
            allowed[key] = left - 1
        elif not (_unhealthy(pod) and _unhealthy_may_go(budget)):
            blockers.append(_blocker(pod, budget))
    return blockers


def _blocker(pod: Pod, budget: PodDisruptionBudget) -> Blocker:
    status = budget.status
    healthy = (status.currentHealthy or 0) if status else 0
    desired = (status.desiredHealthy or 0) if status else 0
    expected = (status.expectedPods or 0) if status else 0
    spec = budget.spec
    rule = (
        f"minAvailable: {spec.minAvailable}"
        if spec is not None and spec.minAvailable is not None
        else f"maxUnavailable: {spec.maxUnavailable if spec else '?'}"
    )
    counts = f"{healthy} of {expected} pods healthy, {desired} required"
    if status is None:
        why = f"PDB {_ref(budget)} ({rule}) has no status yet: the eviction API refuses"
        return Blocker(_ref(pod), _ref(budget), why, forever=True)
    if healthy >= expected:
        why = (
            f"PDB {_ref(budget)} ({rule}) allows 0 disruptions with {counts}; nothing can "
            "become healthy first. Scale it up or allow a disruption (e.g. maxUnavailable: 1)"
        )
        return Blocker(_ref(pod), _ref(budget), why, forever=True)
    why = f"PDB {_ref(budget)} ({rule}) allows 0 disruptions until more pods are healthy ({counts})"
    return Blocker(_ref(pod), _ref(budget), why, forever=False)


# --- execution -----------------------------------------------------------------------------


def step_applier(
    client: Client, poll_interval: float = GONE_POLL_SECONDS
) -> Callable[[Step], str | None]:
    """The `apply` function for drain and uncordon plans."""

    def apply(step: Step) -> str | None:
        if step.verb in ("cordon", "uncordon"):
            return apply_common(client, Step("patch", *_fields(step)))
        if step.verb == "evict":
            return _evict_once(client, step)
        if step.verb == "wait":
            return _still_there(client, step, poll_interval)
        return apply_common(client, step)

    return apply


def _fields(step: Step) -> tuple[Any, ...]:
    return (step.kind, step.namespace, step.name, step.reason, step.body)


def _evict_once(client: Client, step: Step) -> str:
    from lightkube import ApiError
    from lightkube.models.meta_v1 import DeleteOptions, ObjectMeta, Preconditions
    from lightkube.resources.core_v1 import Pod

    uid = (step.body or {}).get("uid")
    eviction = Pod.Eviction(
        metadata=ObjectMeta(name=step.name, namespace=step.namespace),
        deleteOptions=DeleteOptions(preconditions=Preconditions(uid=uid) if uid else None),
    )
    try:
        client.create(eviction, name=step.name, namespace=step.namespace)
    except ApiError as error:
        code = status_code(error)
        if code == 404:
            return "already gone"
        if code == 429:
            raise Retry(f"blocked: {api_error_message(error)}", after=None) from None
        raise ActionFailed(f"evicting {step.target}: {api_error_message(error)}") from error
    return "evicted"


def _still_there(client: Client, step: Step, poll_interval: float) -> str:
    from lightkube import ApiError
    from lightkube.resources.core_v1 import Pod

    waiting = []
    for pod in (step.body or {}).get("pods", []):
        try:
            current = client.get(Pod, pod["name"], namespace=pod["namespace"])
        except ApiError as error:
            if status_code(error) == 404:
                continue
            raise ActionFailed(f"reading pod {pod['name']}: {api_error_message(error)}") from error
        if pod.get("uid") is None or (current.metadata and current.metadata.uid == pod["uid"]):
            waiting.append(f"{pod['namespace']}/{pod['name']}")
    if waiting:
        raise Retry(f"{len(waiting)} pods still terminating: {', '.join(waiting)}", poll_interval)
    return "all pods gone"


# --- small readers ---------------------------------------------------------------------------


def _cordon(node: Node) -> Step:
    reason = "already cordoned" if _cordoned(node) else "mark unschedulable"
    return Step("cordon", "Node", None, _name(node), reason, {"spec": {"unschedulable": True}})


def _evict(pod: Pod, blocker: Blocker | None) -> Step:
    controller = _controller(pod)
    reason = f"{controller[0]} {controller[1]}" if controller else "no controller (--force)"
    if blocker is not None:
        reason += f"; waits for {blocker.budget}"
    return Step("evict", "Pod", _namespace(pod), _name(pod), reason, {"uid": _uid(pod)})


def _force_delete(pod: Pod, blocker: Blocker) -> Step:
    reason = f"{blocker.budget} never allows it: delete, bypassing the budget (--force)"
    return Step("delete", "Pod", _namespace(pod), _name(pod), reason, {"uid": _uid(pod)})


def _covers(budget: PodDisruptionBudget, pod: Pod) -> bool:
    if _namespace(budget) != _namespace(pod) or budget.spec is None:
        return False
    return selects(budget.spec.selector, (pod.metadata.labels if pod.metadata else None) or {})


def selects(selector: LabelSelector | None, labels: dict[str, str]) -> bool:
    """A policy/v1 LabelSelector against labels (null selects nothing, {} selects everything)."""
    if selector is None:
        return False
    for key, value in (selector.matchLabels or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.matchExpressions or []:
        present = expression.key in labels
        value = labels.get(expression.key)
        values = expression.values or []
        ok = {
            "In": present and value in values,
            "NotIn": not present or value not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }.get(expression.operator, False)
        if not ok:
            return False
    return True


def _unhealthy(pod: Pod) -> bool:
    conditions = (pod.status.conditions or []) if pod.status else []
    return not any(c.type == "Ready" and c.status == "True" for c in conditions)


def _unhealthy_may_go(budget: PodDisruptionBudget) -> bool:
    # IfHealthyBudget (the default) lets unhealthy pods go only while the budget is met.
    if budget.spec is not None and budget.spec.unhealthyPodEvictionPolicy == "AlwaysAllow":
        return True
    status = budget.status
    return status is not None and (status.currentHealthy or 0) >= (status.desiredHealthy or 0)


def _controller(pod: Pod) -> tuple[str, str] | None:
    for owner in (pod.metadata.ownerReferences or []) if pod.metadata else []:
        if owner.controller:
            return owner.kind, owner.name
    return None


def _empty_dirs(pod: Pod) -> list[str]:
    volumes = (pod.spec.volumes or []) if pod.spec else []
    return [v.name for v in volumes if v.emptyDir is not None]


def _cordoned(node: Node) -> bool:
    return bool(node.spec and node.spec.unschedulable)


def _annotations(obj: Any) -> dict[str, str]:
    return (obj.metadata.annotations if obj.metadata else None) or {}


def _name(obj: Any) -> str:
    return str(obj.metadata.name)


def _namespace(obj: Any) -> str:
    return str(obj.metadata.namespace or "default")


def _uid(obj: Any) -> str | None:
    return obj.metadata.uid if obj.metadata else None


def _ref(obj: Any) -> str:
    return f"{_namespace(obj)}/{_name(obj)}"
