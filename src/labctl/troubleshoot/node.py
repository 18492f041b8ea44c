"""`troubleshoot node`: describe node + its pods (kubectl get pods -o wide --field-selector
spec.nodeName), events, what a drain would block on, and the likely cause."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from labctl.troubleshoot import causes, reads
from labctl.troubleshoot.view import View, table

if TYPE_CHECKING:
    from lightkube import Client

Obj = dict[str, Any]


def node_view(client: Client, name: str, now: datetime | None = None) -> View:
    from labctl.actions.budgets import preflight
    from labctl.actions.drain import read_inputs

    now = now or reads.now()
    inputs = read_inputs(client, name)  # what a drain reads, so the view names its blockers
    node, pods = inputs.node, list(inputs.pods)
    events = reads.events_for(client, "Node", name, None)
    status, spec = node.get("status") or {}, node.get("spec") or {}
    info = status.get("nodeInfo") or {}
    view = View(f"Node {name}")
    view.facts = [
        ("Schedulable", "no (cordoned)" if spec.get("unschedulable") else "yes"),
        ("Kubelet", str(info.get("kubeletVersion", "?"))),
        (
            "OS / runtime",
            f"{info.get('osImage', '?')} / {info.get('containerRuntimeVersion', '?')}",
        ),
        (
            "Allocatable",
            ", ".join(f"{k} {v}" for k, v in (status.get("allocatable") or {}).items()),
        ),
    ]
    view.section("Conditions", _conditions(status, now))
    view.section("Taints", [_taint(t) for t in spec.get("taints") or []])
    view.section("Pods on the node", _pods(pods, now))
    blockers = preflight(pods, inputs.budgets, inputs.statefulsets, inputs.peers)
    view.section("A drain would block on", [f"{b.pod}: {b.why}" for b in blockers])
    view.section("Events (oldest first)", reads.event_lines(events, now))
    objects = {f"Node/{name}"} | {f"Pod/{_ref(p)}" for p in pods}
    view.causes = causes.from_checks(
        {"nodes": [node], "pods": pods},
        ["nodes", "workloads"],
        objects,
        here=causes.view_command("node", name),
    ) + causes.from_events(events)
    return view


def _conditions(status: Obj, now: datetime) -> list[str]:
    rows = [["TYPE", "STATUS", "SINCE", "REASON", "MESSAGE"]]
    for c in status.get("conditions") or []:
        rows.append(
            [
                str(c.get("type")),
                str(c.get("status")),
                reads.age(c.get("lastTransitionTime"), now),
                str(c.get("reason", "")),
                str(c.get("message", "")),
            ]
        )
    return table(rows)


def _taint(taint: Obj) -> str:
    value = f"={taint['value']}" if taint.get("value") else ""
    return f"{taint.get('key')}{value}:{taint.get('effect')}"


def _pods(pods: list[Obj], now: datetime) -> list[str]:
    rows = [["NAMESPACE/NAME", "PHASE", "RESTARTS", "AGE"]]
    for pod in sorted(pods, key=_ref):
        status = pod.get("status") or {}
        restarts = sum(c.get("restartCount", 0) for c in status.get("containerStatuses") or [])
        rows.append(
            [
                _ref(pod),
                str(status.get("phase", "?")),
                str(restarts),
                reads.age(status.get("startTime"), now),
            ]
        )
    return table(rows) if pods else []


def _ref(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}"
