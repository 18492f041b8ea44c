"""Pods that cannot run, and Deployments/StatefulSets/DaemonSets short of replicas."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from labctl.checks._objects import condition, qualified, spec, status
from labctl.checks._objects import name as name_of
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
        "PreCreateHookError",
        "RunContainerError",
    }
)
RESTART_THRESHOLD = 5
RESTART_WINDOW = timedelta(hours=1)  # restarts count while the last one is this recent
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


def _restarted_long_ago(container: Obj, snap: Snapshot) -> bool:
    """The last restart is older than RESTART_WINDOW: the restarts are history, not a problem."""
    terminated = (container.get("lastState") or {}).get("terminated") or {}
    finished = parse_time(terminated.get("finishedAt"))
    return finished is not None and snap.taken_at - finished > RESTART_WINDOW


@check(
    "LAB-207",
    "pod-restarts",
    area="workloads",
    severity=Severity.WARNING,
    summary=f"A running container restarted {RESTART_THRESHOLD} or more times, the last time "
    f"within {RESTART_WINDOW.seconds // 3600} hour (restarts days ago are history).",
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
        if count < RESTART_THRESHOLD or worst is None or _restarted_long_ago(worst, snap):
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


def _young(obj: Obj, snap: Snapshot) -> bool:
    """Created within STARTUP_GRACE: its pods are still starting (the same grace as pods')."""
    created = parse_time((obj.get("metadata") or {}).get("creationTimestamp"))
    return created is not None and snap.taken_at - created < STARTUP_GRACE


@check(
    "LAB-208",
    "workload-unavailable",
    area="workloads",
    severity=Severity.CRITICAL,
    summary="A Deployment, StatefulSet or DaemonSet has no available replica (5 minutes after "
    "its creation).",
    hint="kubectl describe {kind} -n {namespace} {name}; see its pods' findings",
)
def workload_unavailable(snap: Snapshot) -> Results:
    for workload in _workloads(snap):
        desired, available = _replicas(workload)
        if desired == 0 or available > 0 or _young(workload, snap):
            yield workload, None
            continue
        kind = workload.get("kind", "workload")
        yield workload, f"{kind} {qualified(workload)} has 0 of {desired} replicas available"


@check(
    "LAB-209",
    "workload-degraded",
    area="workloads",
    severity=Severity.WARNING,
    summary="A Deployment, StatefulSet or DaemonSet has fewer available replicas than desired "
    "(5 minutes after its creation).",
    hint="kubectl describe {kind} -n {namespace} {name}; see its pods' findings",
)
def workload_degraded(snap: Snapshot) -> Results:
    for workload in _workloads(snap):
        desired, available = _replicas(workload)
        if available == 0 or available >= desired or _young(workload, snap):
            yield workload, None
            continue
        kind = workload.get("kind", "workload")
        yield (
            workload,
            f"{kind} {qualified(workload)} has {available} of {desired} replicas available",
        )


def _exited_with_error(pod: Obj) -> list[tuple[Obj, Obj]]:
    """(container status, its terminated state) for containers that exited non-zero."""
    return [
        (c, terminated)
        for c in status(pod).get("containerStatuses") or []
        if (terminated := (c.get("state") or {}).get("terminated"))
        and int(terminated.get("exitCode") or 0) != 0
    ]


def _ready_since(pod: Obj) -> Obj | None:
    """The Ready condition when it is False."""
    ready = condition(pod, "Ready")
    return ready if ready is not None and ready.get("status") == "False" else None


@check(
    "LAB-210",
    "pod-not-ready",
    area="workloads",
    severity=Severity.WARNING,
    summary="A Running pod has not been Ready for 5 minutes (a readiness probe fails or a "
    "container is not running); Services send it no traffic.",
    hint="labctl troubleshoot pod -n {namespace} {name}: kubectl describe shows the failing probe",
)
def pod_not_ready(snap: Snapshot) -> Results:
    for view in _pods(snap):
        pod = view.pod
        ready = _ready_since(pod)
        deleting = bool((pod.get("metadata") or {}).get("deletionTimestamp"))
        exited = bool(_exited_with_error(pod))  # LAB-214 names the container
        if view.phase != "Running" or ready is None or view.known_problem or deleting or exited:
            yield pod, None
            continue
        since = parse_time(ready.get("lastTransitionTime")) or parse_time(
            (pod.get("metadata") or {}).get("creationTimestamp")
        )
        if since is not None and snap.taken_at - since < STARTUP_GRACE:
            yield pod, None
            continue
        unready = [
            str(c.get("name"))
            for c in status(pod).get("containerStatuses") or []
            if not c.get("ready")
        ]
        which = f" (containers not ready: {', '.join(unready)})" if unready else ""
        yield pod, f"pod {qualified(pod)} is Running but not Ready{which}"


TERMINATING_GRACE = timedelta(minutes=5)


def _overdue(obj: Obj, snap: Snapshot) -> timedelta | None:
    """How long past its deletionTimestamp (the end of its grace period) an object lives on."""
    deletion = parse_time((obj.get("metadata") or {}).get("deletionTimestamp"))
    if deletion is None or snap.taken_at - deletion < TERMINATING_GRACE:
        return None
    return snap.taken_at - deletion


def _ago(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    if minutes < 120:
        return f"{minutes:.0f} minutes"
    return f"{minutes / 60:.0f} hours" if minutes < 2880 else f"{minutes / 1440:.0f} days"


@check(
    "LAB-212",
    "pod-stuck-terminating",
    area="workloads",
    severity=Severity.WARNING,
    summary="A pod is still there 5 minutes after its deletion grace period ended (a finalizer, "
    "or its node is gone).",
    hint="labctl troubleshoot pod -n {namespace} {name}; if its node is down: "
    "kubectl delete pod -n {namespace} {name} --grace-period=0 --force",
)
def pod_stuck_terminating(snap: Snapshot) -> Results:
    for view in _pods(snap):
        late = _overdue(view.pod, snap)
        where = spec(view.pod).get("nodeName")
        on = f" on node {where}" if where else ""
        yield (
            view.pod,
            None
            if late is None
            else f"pod {qualified(view.pod)} is stuck Terminating{on} "
            f"({_ago(late)} past its grace period)",
        )


@check(
    "LAB-213",
    "namespace-stuck-terminating",
    area="workloads",
    severity=Severity.WARNING,
    summary="A namespace is Terminating 5 minutes after its deletion (content or finalizers "
    "remain, often an API service that is down).",
    hint="kubectl get namespace {name} -o yaml: its conditions name what remains",
)
def namespace_stuck_terminating(snap: Snapshot) -> Results:
    for ns in snap.require("namespaces"):
        late = _overdue(ns, snap) if status(ns).get("phase") == "Terminating" else None
        if late is None:
            yield ns, None
            continue
        # Its deletion conditions (NamespaceContentRemaining, ...FinalizersRemaining) are True.
        stuck = [
            str(c.get("message") or c.get("reason"))
            for c in status(ns).get("conditions") or []
            if c.get("status") == "True"
        ]
        why = f": {'; '.join(stuck)}" if stuck else ""
        yield ns, f"namespace {name_of(ns)} is stuck Terminating for {_ago(late)}{why}"


@check(
    "LAB-211",
    "rollout-stuck",
    area="workloads",
    severity=Severity.WARNING,
    summary="A Deployment's rollout exceeded its progress deadline (Progressing=False, "
    "ProgressDeadlineExceeded): the new version is not coming up.",
    hint="kubectl rollout status deployment -n {namespace} {name}; see its new pods' findings, "
    "or kubectl rollout undo",
)
def rollout_stuck(snap: Snapshot) -> Results:
    for deployment in snap.require("deployments.apps"):
        progressing = condition(deployment, "Progressing") or {}
        stuck = (
            progressing.get("status") == "False"
            and progressing.get("reason") == "ProgressDeadlineExceeded"
        )
        why = progressing.get("message") or "ProgressDeadlineExceeded"
        yield (
            deployment,
            f"Deployment {qualified(deployment)} rollout is stuck: {why}" if stuck else None,
        )


@check(
    "LAB-214",
    "container-exited-with-error",
    area="workloads",
    severity=Severity.WARNING,
    summary="A container of a Running pod has terminated with a non-zero exit code and is not "
    "restarted (restartPolicy Never/OnFailure, or a sidecar).",
    hint="kubectl logs -n {namespace} {name} -c <container> --previous",
)
def container_exited_with_error(snap: Snapshot) -> Results:
    for view in _pods(snap):
        pod = view.pod
        failed = _exited_with_error(pod)
        if view.phase != "Running" or not failed or view.known_problem:
            yield pod, None
            continue
        container, terminated = failed[0]
        reason = terminated.get("reason") or "Error"
        yield (
            pod,
            f"pod {qualified(pod)} container {container.get('name')} terminated: {reason} "
            f"(exit code {terminated.get('exitCode')})",
        )
