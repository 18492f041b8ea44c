"""Pods that cannot run, and Deployments/StatefulSets/DaemonSets short of replicas."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from labctl.checks._objects import condition, qualified, spec, status
from labctl.checks.model import Severity, Subject, Verdict, check
from labctl.cluster.snapshot import Obj, Snapshot, parse_time

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
STARTUP_GRACE = timedelta(minutes=5)
_STARTING = frozenset({"ContainerCreating", "PodInitializing"})
_CRASH = frozenset({"CrashLoopBackOff"})
_SPECIFIC = IMAGE_REASONS | CONFIG_REASONS | _CRASH


def _containers(pod: Obj) -> list[Obj]:
    st = status(pod)
    return list(st.get("initContainerStatuses") or []) + list(st.get("containerStatuses") or [])


@dataclass(frozen=True, slots=True)
class _PodView:
    """What the pod checks read from one pod, computed once per snapshot."""

    pod: Obj
    phase: str
    containers: list[Obj]
    waiting: list[tuple[Obj, str]]  # (container status, waiting reason)
    unscheduled: Obj | None  # the PodScheduled=False condition
    evicted: bool

    def waiting_for(self, reasons: frozenset[str]) -> list[tuple[Obj, str]]:
        return [(c, r) for c, r in self.waiting if r in reasons]

    @property
    def known_problem(self) -> bool:
        """Reported by one of the specific checks (LAB-201..205)."""
        return self.evicted or self.unscheduled is not None or bool(self.waiting_for(_SPECIFIC))


def _view(pod: Obj) -> _PodView:
    st = status(pod)
    containers = _containers(pod)
    waiting = [
        (c, str(reason))
        for c in containers
        if (reason := ((c.get("state") or {}).get("waiting") or {}).get("reason"))
    ]
    scheduled = condition(pod, "PodScheduled")
    unscheduled = scheduled if scheduled and scheduled.get("status") == "False" else None
    evicted = st.get("phase") == "Failed" and st.get("reason") == "Evicted"
    return _PodView(pod, st.get("phase") or "Unknown", containers, waiting, unscheduled, evicted)


def _pods(snap: Snapshot) -> list[_PodView]:
    pods = snap.require("pods")
    return snap.derived("workloads.pods", lambda _: [_view(p) for p in pods])


def _last_termination(container: Obj) -> str | None:
    terminated = (container.get("lastState") or {}).get("terminated") or {}
    reason = terminated.get("reason")
    code = terminated.get("exitCode")
    if reason is None and code is None:
        return None
    return f"{reason or 'exit'} (exit code {code})" if code is not None else str(reason)


@check(
    "LAB-201",
    "pod-crashloop",
    area="workloads",
    severity=Severity.CRITICAL,
    summary="A container is in CrashLoopBackOff; the message gives the last termination reason.",
    hint="labctl troubleshoot pod -n {namespace} {name}; OOMKilled means raise the memory limit",
)
def pod_crashloop(snap: Snapshot) -> Results:
    for view in _pods(snap):
        pod = view.pod
        looping = view.waiting_for(_CRASH)
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
    hint="labctl troubleshoot pod -n {namespace} {name}: check the image, tag and pull secret",
)
def pod_image_pull(snap: Snapshot) -> Results:
    for view in _pods(snap):
        pod = view.pod
        failing = view.waiting_for(IMAGE_REASONS)
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
    hint="labctl troubleshoot pod -n {namespace} {name}: the event names the missing Secret/key",
)
def pod_config_error(snap: Snapshot) -> Results:
    for view in _pods(snap):
        pod = view.pod
        failing = view.waiting_for(CONFIG_REASONS)
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
    hint="labctl troubleshoot pod -n {namespace} {name}: free capacity, fix taints/affinity/PVCs",
)
def pod_unschedulable(snap: Snapshot) -> Results:
    for view in _pods(snap):
        pod, scheduled = view.pod, view.unscheduled
        if view.phase != "Pending" or scheduled is None:
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
    for view in _pods(snap):
        pod = view.pod
        if not view.evicted:
            yield pod, None
            continue
        why = status(pod).get("message") or "node pressure"
        yield pod, f"pod {qualified(pod)} was Evicted: {why}"


def _starting(view: _PodView, snap: Snapshot) -> bool:
    """A young Pending pod pulling images or running init containers: not a problem yet."""
    if view.phase != "Pending" or any(r not in _STARTING for _, r in view.waiting):
        return False
    created = parse_time((view.pod.get("metadata") or {}).get("creationTimestamp"))
    return created is not None and snap.taken_at - created < STARTUP_GRACE


@check(
    "LAB-206",
    "pod-not-running",
    area="workloads",
    severity=Severity.WARNING,
    summary="A pod is neither Running nor Succeeded (Pending, Failed, Unknown) for another "
    "reason; Pending pods still creating containers get 5 minutes.",
    hint="labctl troubleshoot pod -n {namespace} {name}",
)
def pod_not_running(snap: Snapshot) -> Results:
    for view in _pods(snap):
        pod, phase = view.pod, view.phase
        if phase in ("Running", "Succeeded") or view.known_problem or _starting(view, snap):
            yield pod, None
            continue
        st = status(pod)
        why = view.waiting[0][1] if view.waiting else st.get("reason") or st.get("message")
        yield pod, f"pod {qualified(pod)} is {phase}" + (f" ({why})" if why else "")


@check(
    "LAB-207",
    "pod-restarts",
    area="workloads",
    severity=Severity.WARNING,
    summary=f"A running container restarted {RESTART_THRESHOLD} or more times.",
    hint="labctl troubleshoot pod -n {namespace} {name}: look for OOMKilled or failing probes",
)
def pod_restarts(snap: Snapshot) -> Results:
    for view in _pods(snap):
        pod = view.pod
        if view.phase != "Running" or view.known_problem:
            yield pod, None
            continue
        worst = max(view.containers, key=lambda c: c.get("restartCount", 0), default=None)
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
