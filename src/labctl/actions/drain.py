"""Draining a node like `kubectl drain --ignore-daemonsets --delete-emptydir-data`, checked first.

The preflight (`budgets.preflight`) simulates every eviction against the PodDisruptionBudgets:
a budget that allows no disruption while all of its pods are healthy (the seed's one-replica
PostgreSQL with `minAvailable: 1`), or only because the drained pod itself is not Ready, would
answer 429 forever, so the plan refuses it; so it does an eviction that would take a Raft
cluster (Vault) or another quorum-guarded StatefulSet below its majority. Pods are sorted
as kubectl's filters do (ops-apis.md section 6): DaemonSet and mirror pods are skipped, pods with
emptyDir volumes are evicted with a warning, pods without a controller are refused unless forced.
With `force`, the plan keeps its refusals (so running it needs `--force` and a reason) and adds
the forced steps: unmanaged pods are evicted, a pod whose budget blocks forever is deleted.

Then: cordon, evict each pod (429 is retried until the deadline), and poll until they are gone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labctl.actions.budgets import Blocker, preflight
from labctl.actions.kube import (
    api_error_message,
    api_path,
    apply_common,
    get_json,
    list_json,
    pods_gone,
    request_json,
    status_code,
)
from labctl.actions.plan import ActionFailed, Plan, Retry, Step

if TYPE_CHECKING:
    from lightkube import Client

Obj = dict[str, Any]  # objects as the API server sends them

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
EVICTION_RETRY_SECONDS = 5.0  # kubectl's
GONE_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class DrainInputs:
    node: Obj
    pods: Sequence[Obj]
    budgets: Sequence[Obj]
    statefulsets: Sequence[Obj] = ()  # those with pods on the node, for the quorum check
    peers: Sequence[Obj] = ()  # their pods on every node


def read_inputs(client: Client, node_name: str) -> DrainInputs:
    """The node, the pods bound to it, every PDB, and the StatefulSets with pods on the node
    with all of their pods (one GET and two LISTs, then one GET and LIST per StatefulSet)."""
    node = get_json(client, "Node", node_name)
    pods = list_json(client, "Pod", fields={"spec.nodeName": node_name})
    budgets = list_json(client, "PodDisruptionBudget")
    owners = sorted({owner for p in pods if (owner := statefulset_owner(p))})
    from lightkube import ApiError

    statefulsets, peers = [], []
    for namespace, name in owners:
        try:
            workload = get_json(client, "StatefulSet", name, namespace)
        except ApiError as error:
            if status_code(error) == 404:
                continue  # its owner is being deleted: the garbage collector takes the pod
            raise
        statefulsets.append(workload)
        selector = (workload.get("spec") or {}).get("selector") or {}
        peers += list_json(client, "Pod", namespace, labels=selector)
    return DrainInputs(node, pods, budgets, statefulsets, peers)


def plan_drain(inputs: DrainInputs, *, force: bool = False) -> Plan:
    node_name = _name(inputs.node)
    steps = [_cordon(inputs.node)]
    refusals: list[str] = []
    warnings: list[str] = []
    skipped_ds, skipped_mirror, to_evict = [], [], []
    for pod in sorted(inputs.pods, key=_ref):
        controller = _controller(pod)
        terminal = _terminal(pod)
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

    found = preflight(to_evict, inputs.budgets, inputs.statefulsets, inputs.peers)
    blockers = {b.pod: b for b in found}
    waiting: list[Step] = []  # evicted last, so one slow budget does not hold up the rest
    for pod in to_evict:
        blocker = blockers.get(_ref(pod))
        if blocker is None:
            steps.append(_evict(pod, None))
        elif blocker.quorum:
            refusals.append(f"evicting {blocker.pod} would lose quorum: {blocker.why}")
            if force:
                steps.append(_evict(pod, None))
                warnings.append(f"{blocker.pod} is evicted although {blocker.budget} loses quorum")
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


def plan_uncordon(node: Obj) -> Plan:
    name = _name(node)
    reason = "allow scheduling again" if _cordoned(node) else "not cordoned (no change)"
    step = Step("uncordon", "Node", None, name, reason, {"spec": {"unschedulable": None}})
    return Plan(f"uncordon node {name}", (step,))


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
            return pods_gone(client, list((step.body or {}).get("pods", [])), poll_interval)
        return apply_common(client, step)

    return apply


def _fields(step: Step) -> tuple[Any, ...]:
    return (step.kind, step.namespace, step.name, step.reason, step.body)


def _evict_once(client: Client, step: Step) -> str:
    from lightkube import ApiError

    uid = (step.body or {}).get("uid")
    eviction: Obj = {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": step.name, "namespace": step.namespace},
    }
    if uid:
        eviction["deleteOptions"] = {"preconditions": {"uid": uid}}
    path = api_path("Pod", step.namespace, step.name) + "/eviction"
    try:
        request_json(client, "POST", path, eviction)
    except ApiError as error:
        code = status_code(error)
        if code == 404:
            return "already gone"
        if code == 429:
            raise Retry(f"blocked: {api_error_message(error)}", after=None) from None
        raise ActionFailed(f"evicting {step.target}: {api_error_message(error)}") from error
    return "evicted"


# --- small readers ---------------------------------------------------------------------------


def _cordon(node: Obj) -> Step:
    reason = "already cordoned" if _cordoned(node) else "mark unschedulable"
    return Step("cordon", "Node", None, _name(node), reason, {"spec": {"unschedulable": True}})


def _evict(pod: Obj, blocker: Blocker | None) -> Step:
    controller = _controller(pod)
    reason = f"{controller[0]} {controller[1]}" if controller else "no controller (--force)"
    if blocker is not None:
        reason += f"; waits for {blocker.budget}"
    return Step("evict", "Pod", _namespace(pod), _name(pod), reason, {"uid": _uid(pod)})


def _force_delete(pod: Obj, blocker: Blocker) -> Step:
    reason = f"{blocker.budget} never allows it: delete, bypassing the budget (--force)"
    return Step("delete", "Pod", _namespace(pod), _name(pod), reason, {"uid": _uid(pod)})


def _terminal(pod: Obj) -> bool:
    return _status(pod).get("phase") in ("Succeeded", "Failed")


def statefulset_owner(pod: Obj) -> tuple[str, str] | None:
    """(namespace, name) of the StatefulSet that controls `pod`, if one does: the quorum
    preflight's groups, read live by `read_inputs` and offline by `labctl upgrade plan`."""
    controller = _controller(pod)
    if controller and controller[0] == "StatefulSet":
        return _namespace(pod), controller[1]
    return None


def _controller(pod: Obj) -> tuple[str, str] | None:
    for owner in _meta(pod).get("ownerReferences") or []:
        if owner.get("controller"):
            return str(owner.get("kind")), str(owner.get("name"))
    return None


def _empty_dirs(pod: Obj) -> list[str]:
    volumes = (pod.get("spec") or {}).get("volumes") or []
    return [str(v.get("name")) for v in volumes if "emptyDir" in v]


def _cordoned(node: Obj) -> bool:
    return bool((node.get("spec") or {}).get("unschedulable"))


def _meta(obj: Obj) -> Obj:
    return dict(obj.get("metadata") or {})


def _status(obj: Obj) -> Obj:
    return dict(obj.get("status") or {})


def _annotations(obj: Obj) -> dict[str, str]:
    return dict(_meta(obj).get("annotations") or {})


def _name(obj: Obj) -> str:
    return str(_meta(obj).get("name"))


def _namespace(obj: Obj) -> str:
    return str(_meta(obj).get("namespace") or "default")


def _uid(obj: Obj) -> str | None:
    uid = _meta(obj).get("uid")
    return str(uid) if uid else None


def _ref(obj: Obj) -> str:
    return f"{_namespace(obj)}/{_name(obj)}"
