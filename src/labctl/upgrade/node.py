"""`labctl upgrade node NODE --to 1.N`: drain, pause for the person, verify, uncordon, settle.

Two plans around a pause. The first drains the node (`labctl node drain`'s plan and preflight)
after recording on the node, in an annotation, which workloads its pods belonged to; the person
then runs the node's commands (kubeadm, kubelet packages), which labctl cannot do for them. The
second (`--continue`) waits until the kubelet reports the new minor version and the node is
Ready, uncordons it, and waits until every recorded workload is fully available again.
The annotation carries the record across the two invocations, so the pause may be long.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from labctl.actions import drain
from labctl.actions.kube import api_error_message, get_json, status_code
from labctl.actions.plan import ActionFailed, Plan, Retry, Step
from labctl.kubeversion import Version, VersionError

if TYPE_CHECKING:
    from lightkube import Client

Obj = dict[str, Any]

DRAINED_ANNOTATION = "platform-lab.dev/upgrade-drained"
POLL_SECONDS = 5.0


def workloads_of(client: Client, pods: list[Obj]) -> list[dict[str, str]]:
    """The Deployments and StatefulSets the pods belong to (ReplicaSets resolved to theirs)."""
    found: dict[tuple[str, str, str], None] = {}
    for pod in pods:
        meta = pod.get("metadata") or {}
        namespace = str(meta.get("namespace") or "default")
        for owner in meta.get("ownerReferences") or []:
            if not owner.get("controller"):
                continue
            kind, name = str(owner.get("kind")), str(owner.get("name"))
            if kind == "ReplicaSet":
                kind, name = _replica_set_owner(client, namespace, name)
            if kind in ("Deployment", "StatefulSet"):
                found[(kind, namespace, name)] = None
    return [{"kind": k, "namespace": ns, "name": n} for k, ns, n in sorted(found)]


def _replica_set_owner(client: Client, namespace: str, name: str) -> tuple[str, str]:
    from lightkube import ApiError

    try:
        replica_set = get_json(client, "ReplicaSet", name, namespace)
    except ApiError:
        return "ReplicaSet", name
    for owner in (replica_set.get("metadata") or {}).get("ownerReferences") or []:
        if owner.get("controller"):
            return str(owner.get("kind")), str(owner.get("name"))
    return "ReplicaSet", name


def plan_drain(inputs: drain.DrainInputs, workloads: list[dict[str, str]], target: str) -> Plan:
    """Record the workloads on the node, then `labctl node drain`'s plan."""
    drained = drain.plan_drain(inputs)
    name = str((inputs.node.get("metadata") or {}).get("name"))
    record = json.dumps({"to": target, "workloads": workloads}, sort_keys=True)
    note = Step(
        "patch",
        "Node",
        None,
        name,
        f"record the {len(workloads)} workloads to wait for after the upgrade",
        {"metadata": {"annotations": {DRAINED_ANNOTATION: record}}},
    )
    title = f"upgrade node {name} to {target}: drain"
    return Plan(title, (note, *drained.steps), drained.refusals, drained.warnings)


def plan_finish(node: Obj, target: Version) -> Plan:
    """Verify the kubelet's version and Ready, uncordon, wait for the recorded workloads."""
    meta = node.get("metadata") or {}
    name = str(meta.get("name"))
    warnings: list[str] = []
    raw = (meta.get("annotations") or {}).get(DRAINED_ANNOTATION)
    workloads: list[dict[str, str]] = []
    if raw:
        try:
            workloads = list(json.loads(raw).get("workloads") or [])
        except (ValueError, AttributeError):
            warnings.append(f"{DRAINED_ANNOTATION} is not readable: no workloads to wait for")
    else:
        warnings.append(
            f"{name} has no {DRAINED_ANNOTATION}: was it drained by labctl upgrade node?"
        )
    steps = [
        Step(
            "verify",
            "Node",
            None,
            name,
            f"until the kubelet reports {target.minor_name} and the node is Ready",
            {"minor": target.minor_name},
        ),
        *drain.plan_uncordon(node).steps,
    ]
    for workload in workloads:
        steps.append(
            Step(
                "wait-available",
                workload["kind"],
                workload["namespace"],
                workload["name"],
                f"left {name} during the drain",
            )
        )
    steps.append(
        Step(
            "patch",
            "Node",
            None,
            name,
            "forget the drained workloads",
            {"metadata": {"annotations": {DRAINED_ANNOTATION: None}}},
        )
    )
    return Plan(f"finish the upgrade of node {name}", tuple(steps), (), tuple(warnings))


def step_applier(client: Client, poll: float = POLL_SECONDS) -> Callable[[Step], str | None]:
    base = drain.step_applier(client)

    def apply(step: Step) -> str | None:
        if step.verb == "verify":
            return _verify(client, step, poll)
        if step.verb == "wait-available":
            return _available(client, step, poll)
        return base(step)

    return apply


def _verify(client: Client, step: Step, poll: float) -> str:
    node = get_json(client, "Node", step.name)
    status = node.get("status") or {}
    kubelet = str((status.get("nodeInfo") or {}).get("kubeletVersion") or "?")
    ready: Obj = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "Ready"),
        {},
    )
    try:
        minor = Version.parse(kubelet).minor_name
    except VersionError:
        minor = "?"
    wanted = (step.body or {}).get("minor")
    if minor != wanted:
        raise Retry(f"kubelet reports {kubelet}, waiting for {wanted}", poll)
    if ready.get("status") != "True":
        why = ready.get("reason") or ready.get("message") or "no Ready condition"
        raise Retry(f"kubelet {kubelet} but the node is not Ready ({why})", poll)
    return f"kubelet {kubelet}, Ready"


def _available(client: Client, step: Step, poll: float) -> str:
    from lightkube import ApiError

    try:
        obj = get_json(client, step.kind, step.name, step.namespace)
    except ApiError as error:
        if status_code(error) == 404:
            return "gone (deleted meanwhile)"
        raise ActionFailed(f"reading {step.target}: {api_error_message(error)}") from error
    wanted = int((obj.get("spec") or {}).get("replicas", 1))
    status = obj.get("status") or {}
    field = "availableReplicas" if step.kind == "Deployment" else "readyReplicas"
    have = int(status.get(field) or 0)
    if have < wanted:
        raise Retry(f"{have}/{wanted} {field}", poll)
    return f"{have}/{wanted} {field}"
