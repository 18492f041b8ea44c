"""`troubleshoot pod`: describe + logs --previous + events, and the likely cause."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from labctl.troubleshoot import causes, reads
from labctl.troubleshoot.view import View, table

if TYPE_CHECKING:
    from lightkube import Client

Obj = dict[str, Any]


def pod_view(client: Client, name: str, namespace: str, now: datetime | None = None) -> View:
    from lightkube import ApiError

    now = now or reads.now()
    pod = reads.get(client, "Pod", name, namespace)
    node: Obj | None = None
    node_name = (pod.get("spec") or {}).get("nodeName")
    if node_name:
        try:
            node = reads.get(client, "Node", node_name)
        except ApiError:
            node = None
    events = reads.events_for(client, "Pod", name, namespace)
    view = View(f"Pod {namespace}/{name}", facts=_facts(pod, node, now))
    view.section("Containers", _containers(pod))
    view.section("Conditions not True", _conditions(pod))
    log_lines: list[str] = []
    for container, previous in _log_targets(pod):
        lines = reads.logs(client, namespace, name, container, previous)
        label = f"Logs of {container}" + (" (previous instance)" if previous else "")
        if isinstance(lines, str):
            view.section(label, [f"not available: {lines}"])
        else:
            log_lines += lines
            view.section(label, lines, empty="(empty)")
    view.section("Events (oldest first)", reads.event_lines(events, now))
    resources = {"pods": [pod], "nodes": [node] if node else []}
    objects = {f"Pod/{namespace}/{name}"} | ({f"Node/{node_name}"} if node else set())
    view.causes = (
        causes.from_checks(
            resources,
            ["workloads", "nodes"],
            objects,
            here=causes.view_command("pod", name, namespace),
        )
        + causes.from_events(events, namespace)
        + causes.from_logs(log_lines)
    )
    return view


def _facts(pod: Obj, node: Obj | None, now: datetime) -> list[tuple[str, str]]:
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    owner = next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), None)
    node_name = spec.get("nodeName") or "(not scheduled)"
    if node is not None:
        ready = next(
            (
                c.get("status")
                for c in (node.get("status") or {}).get("conditions") or []
                if c.get("type") == "Ready"
            ),
            "Unknown",
        )
        node_name += f" (Ready={ready})"
    phase = status.get("phase", "Unknown")
    if status.get("reason"):
        phase += f" ({status['reason']}: {status.get('message', '')})".replace(": )", ")")
    return [
        ("Phase", phase),
        ("Node", node_name),
        ("Controlled by", f"{owner['kind']}/{owner['name']}" if owner else "nothing (bare pod)"),
        ("Started", f"{reads.age(start, now)} ago" if (start := status.get("startTime")) else "-"),
        ("QoS", str(status.get("qosClass", "?"))),
    ]


def _containers(pod: Obj) -> list[str]:
    status = pod.get("status") or {}
    statuses = {c["name"]: c for c in (status.get("initContainerStatuses") or [])}
    statuses |= {c["name"]: c for c in (status.get("containerStatuses") or [])}
    spec = pod.get("spec") or {}
    rows = [["NAME", "IMAGE", "STATE", "LAST TERMINATION", "READY", "RESTARTS"]]
    for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        current = statuses.get(container["name"], {})
        rows.append(
            [
                container["name"],
                str(container.get("image", "")),
                _state(current.get("state") or {}),
                _state(current.get("lastState") or {}) or "-",
                str(current.get("ready", False)).lower(),
                str(current.get("restartCount", 0)),
            ]
        )
    return table(rows)


def _state(state: Obj) -> str:
    if waiting := state.get("waiting"):
        return f"Waiting: {waiting.get('reason', '')} {waiting.get('message', '')}".strip()
    if terminated := state.get("terminated"):
        return f"Terminated: {terminated.get('reason', '')} (exit {terminated.get('exitCode')})"
    if "running" in state:
        return "Running"
    return ""


def _conditions(pod: Obj) -> list[str]:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return [
        f"{c.get('type')}={c.get('status')} {c.get('reason', '')}: {c.get('message', '')}".rstrip(
            ": "
        )
        for c in conditions
        if c.get("status") != "True"
    ]


def _log_targets(pod: Obj) -> list[tuple[str, bool]]:
    """The previous instance of each restarted container; else the current logs of the rest."""
    status = pod.get("status") or {}
    statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    restarted = [
        (c["name"], True) for c in statuses if (c.get("lastState") or {}).get("terminated")
    ]
    if restarted:
        return restarted
    return [(c["name"], False) for c in statuses if "running" in (c.get("state") or {})]
