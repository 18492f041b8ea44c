"""Pods that cannot run, and Deployments/StatefulSets/DaemonSets short of replicas."""

from __future__ import annotations

from collections.abc import Iterator

from labctl.checks._objects import condition, qualified, spec, status
from labctl.checks.model import Severity, Subject, Verdict, check
from labctl.cluster.snapshot import Obj, Snapshot

Results = Iterator[tuple[Subject, Verdict]]

IMAGE_REASONS = frozenset(
    {
        "ImagePullBackOff",
        "ErrImagePull",
        "ErrImageNeverPull",
        "InvalidImageName",
        "RegistryUnavailable",
        "ImageInspectError",
    }
)
CONFIG_REASONS = frozenset(
    {
        "CreateContainerConfigError",
        "CreateContainerError",
        "PreStartHookError",
        "PostStartHookError",
    }
)
RESTART_THRESHOLD = 5


def _containers(pod: Obj) -> list[Obj]:
    st = status(pod)
    return list(st.get("initContainerStatuses") or []) + list(st.get("containerStatuses") or [])


def _waiting(pod: Obj, reasons: frozenset[str] | None = None) -> Iterator[tuple[Obj, str]]:
    for container in _containers(pod):
        reason = ((container.get("state") or {}).get("waiting") or {}).get("reason")
        if reason and (reasons is None or reason in reasons):
            yield container, str(reason)


def _last_termination(container: Obj) -> str | None:
    terminated = (container.get("lastState") or {}).get("terminated") or {}
    reason = terminated.get("reason")
    code = terminated.get("exitCode")
    if reason is None and code is None:
        return None
    return f"{reason or 'exit'} (exit code {code})" if code is not None else str(reason)


def _pods(snap: Snapshot) -> list[Obj]:
    return snap.require("pods")


@check(
    "LAB-201",
    "pod-crashloop",
    area="workloads",
    severity=Severity.CRITICAL,
    summary="A container is in CrashLoopBackOff; the message gives the last termination reason.",
    hint="kubectl logs -n {namespace} {name} --previous; OOMKilled means raise the memory limit",
)
def pod_crashloop(snap: Snapshot) -> Results:
    for pod in _pods(snap):
        looping = list(_waiting(pod, frozenset({"CrashLoopBackOff"})))
        if not looping:
            yield pod, None
            continue
        container = looping[0][0]
        last = _last_termination(container)
        detail = f", last terminated: {last}" if last else ""
        restarts = container.get("restartCount", 0)
        yield (
            pod,
            (
                f"pod {qualified(pod)} container {container.get('name')} is in CrashLoopBackOff "
                f"({restarts} restarts{detail})"
            ),
        )


@check(
    "LAB-202",
    "pod-image-pull",
    area="workloads",
    severity=Severity.CRITICAL,
    summary="A container cannot pull its image (ImagePullBackOff, ErrImagePull, ...).",
    hint="kubectl describe pod -n {namespace} {name}: check the image name, tag and pull secret",
)
def pod_image_pull(snap: Snapshot) -> Results:
    for pod in _pods(snap):
        failing = list(_waiting(pod, IMAGE_REASONS))
        if not failing:
            yield pod, None
            continue
        container, reason = failing[0]
        yield (
            pod,
            (
                f"pod {qualified(pod)} container {container.get('name')} cannot pull "
                f"{container.get('image', 'its image')}: {reason}"
            ),
        )


@check(
    "LAB-203",
    "pod-config-error",
    area="workloads",
    severity=Severity.CRITICAL,
    summary="A container cannot be created (CreateContainerConfigError: missing Secret/ConfigMap"
    " key, or a failing lifecycle hook).",
    hint="kubectl describe pod -n {namespace} {name}: the event names the missing Secret or key",
)
def pod_config_error(snap: Snapshot) -> Results:
    for pod in _pods(snap):
        failing = list(_waiting(pod, CONFIG_REASONS))
        if not failing:
            yield pod, None
            continue
        container, reason = failing[0]
        message = ((container.get("state") or {}).get("waiting") or {}).get("message")
        detail = f": {message}" if message else ""
        yield pod, f"pod {qualified(pod)} container {container.get('name')} {reason}{detail}"


@check(
    "LAB-204",
    "pod-unschedulable",
    area="workloads",
    severity=Severity.WARNING,
    summary="A Pending pod cannot be scheduled (PodScheduled=False: Unschedulable).",
    hint="kubectl describe pod -n {namespace} {name}: free capacity, fix taints/affinity or PVCs",
)
def pod_unschedulable(snap: Snapshot) -> Results:
    for pod in _pods(snap):
        scheduled = condition(pod, "PodScheduled") or {}
        if status(pod).get("phase") != "Pending" or scheduled.get("status") != "False":
            yield pod, None
            continue
        why = scheduled.get("message") or scheduled.get("reason") or "Unschedulable"
        yield pod, f"pod {qualified(pod)} is Pending and unschedulable: {why}"


@check(
    "LAB-205",
    "pod-evicted",
    area="workloads",
    severity=Severity.WARNING,
    summary="A pod was evicted by the kubelet (node pressure) and left in phase Failed.",
    hint="kubectl delete pod -n {namespace} {name}; check the node's pressure conditions",
)
def pod_evicted(snap: Snapshot) -> Results:
    for pod in _pods(snap):
        st = status(pod)
        if st.get("phase") != "Failed" or st.get("reason") != "Evicted":
            yield pod, None
            continue
        yield pod, f"pod {qualified(pod)} was Evicted: {st.get('message') or 'node pressure'}"


def _known_problem(pod: Obj) -> bool:
    """Already reported by a more specific check above."""
    st = status(pod)
    if st.get("reason") == "Evicted":
        return True
    if (condition(pod, "PodScheduled") or {}).get("status") == "False":
        return True
    reasons = IMAGE_REASONS | CONFIG_REASONS | {"CrashLoopBackOff"}
    return any(True for _ in _waiting(pod, frozenset(reasons)))


@check(
    "LAB-206",
    "pod-not-running",
    area="workloads",
    severity=Severity.WARNING,
    summary="A pod is neither Running nor Succeeded (Pending, Failed, Unknown) for another reason.",
    hint="kubectl describe pod -n {namespace} {name}; kubectl get events -n {namespace}",
)
def pod_not_running(snap: Snapshot) -> Results:
    for pod in _pods(snap):
        phase = status(pod).get("phase") or "Unknown"
        if phase in ("Running", "Succeeded") or _known_problem(pod):
            yield pod, None
            continue
        waiting = [reason for _, reason in _waiting(pod)]
        why = waiting[0] if waiting else status(pod).get("reason") or status(pod).get("message")
        yield pod, f"pod {qualified(pod)} is {phase}" + (f" ({why})" if why else "")


@check(
    "LAB-207",
    "pod-restarts",
    area="workloads",
    severity=Severity.WARNING,
    summary=f"A running container restarted {RESTART_THRESHOLD} or more times.",
    hint="kubectl logs -n {namespace} {name} --previous; look for OOMKilled or failing probes",
)
def pod_restarts(snap: Snapshot) -> Results:
    for pod in _pods(snap):
        if status(pod).get("phase") != "Running" or _known_problem(pod):
            yield pod, None
            continue
        worst = max(_containers(pod), key=lambda c: c.get("restartCount", 0), default=None)
        count = 0 if worst is None else int(worst.get("restartCount", 0))
        if count < RESTART_THRESHOLD or worst is None:
            yield pod, None
            continue
        last = _last_termination(worst)
        detail = f", last terminated: {last}" if last else ""
        yield (
            pod,
            (f"pod {qualified(pod)} container {worst.get('name')} restarted {count} times{detail}"),
        )


_WORKLOADS = ("deployments.apps", "statefulsets.apps", "daemonsets.apps")


def _replicas(obj: Obj) -> tuple[int, int]:
    """(desired, available) for a Deployment, StatefulSet or DaemonSet."""
    st = status(obj)
    if "desiredNumberScheduled" in st or obj.get("kind") == "DaemonSet":
        return int(st.get("desiredNumberScheduled", 0)), int(st.get("numberAvailable", 0))
    desired = int(spec(obj).get("replicas", 1))
    if obj.get("kind") == "StatefulSet":
        return desired, int(st.get("availableReplicas", st.get("readyReplicas")) or 0)
    return desired, int(st.get("availableReplicas", 0))


def _workloads(snap: Snapshot) -> list[Obj]:
    found: list[Obj] = []
    for resource in _WORKLOADS:
        found.extend(snap.require(resource))
    return found


@check(
    "LAB-208",
    "workload-unavailable",
    area="workloads",
    severity=Severity.CRITICAL,
    summary="A Deployment, StatefulSet or DaemonSet has no available replica.",
    hint="kubectl describe {kind} -n {namespace} {name}; see its pods' findings",
)
def workload_unavailable(snap: Snapshot) -> Results:
    for workload in _workloads(snap):
        desired, available = _replicas(workload)
        if desired == 0 or available > 0:
            yield workload, None
            continue
        kind = workload.get("kind", "workload")
        yield workload, f"{kind} {qualified(workload)} has 0 of {desired} replicas available"


@check(
    "LAB-209",
    "workload-degraded",
    area="workloads",
    severity=Severity.WARNING,
    summary="A Deployment, StatefulSet or DaemonSet has fewer available replicas than desired.",
    hint="kubectl describe {kind} -n {namespace} {name}; see its pods' findings",
)
def workload_degraded(snap: Snapshot) -> Results:
    for workload in _workloads(snap):
        desired, available = _replicas(workload)
        if available == 0 or available >= desired:
            yield workload, None
            continue
        kind = workload.get("kind", "workload")
        yield (
            workload,
            f"{kind} {qualified(workload)} has {available} of {desired} replicas available",
        )
