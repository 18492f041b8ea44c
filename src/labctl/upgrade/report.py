"""An upgrade plan as text for a terminal, Markdown for a change record, or JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from labctl.upgrade.plan import Finding, NodeStep, UpgradePlan, UpgradeStep


def to_json(plan: UpgradePlan) -> dict[str, Any]:
    return {
        "apiserver": plan.apiserver,
        "lowestKubelet": plan.lowest_kubelet,
        "target": plan.target.minor_name,
        "blocked": plan.blocked,
        "blockers": plan.blockers,
        "before": [asdict(f) for f in plan.before],
        "steps": [_step_json(s) for s in plan.steps],
        "notes": list(plan.notes),
    }


def _step_json(step: UpgradeStep) -> dict[str, Any]:
    return {
        "number": step.number,
        "from": step.source.minor_name,
        "to": step.target.minor_name,
        "controlPlane": step.control_plane,
        "blocked": bool(step.blockers),
        "blockers": step.blockers,
        "findings": [asdict(f) for f in step.findings],
        "nodes": [
            {
                "name": n.name,
                "role": n.role,
                "kubelet": n.kubelet,
                "drainRefusals": list(n.refusals),
                "drainWarnings": list(n.warnings),
                "commands": list(n.commands),
            }
            for n in step.nodes
        ],
    }


def _mark(finding: Finding) -> str:
    return "x" if finding.blocks else "-"


def _finding_line(finding: Finding) -> str:
    fix = f" -> {finding.fix}" if finding.fix else ""
    return f"{finding.area}: {finding.message}{fix}"


def to_text(plan: UpgradePlan, commands: bool = True) -> str:
    lines = [
        f"Upgrade plan: {plan.apiserver} -> {plan.target.minor_name} "
        f"(kube-apiserver {plan.apiserver}, lowest kubelet {plan.lowest_kubelet}), "
        f"{len(plan.steps)} step{'s' * (len(plan.steps) != 1)}",
    ]
    if plan.before:
        lines.append("Before the first step:")
        lines += [f"  {_mark(f)} {_finding_line(f)}" for f in plan.before]
    for step in plan.steps:
        lines += ["", *step_lines(step, commands)]
    lines.append("")
    if plan.blocked:
        lines.append(f"Blocked ({len(plan.blockers)}):")
        lines += [f"  x {b}" for b in plan.blockers]
    else:
        lines.append("Nothing blocks the plan.")
    lines += [f"Sources: {note}" for note in plan.notes]
    return "\n".join(lines)


def step_lines(step: UpgradeStep, commands: bool = True) -> list[str]:
    state = "BLOCKED" if step.blockers else "ready"
    lines = [f"Step {step.number}: {step.title} [{state}]"]
    lines.append(f"  control plane: {step.control_plane}")
    lines += [f"  {_mark(f)} {_finding_line(f)}" for f in step.findings]
    lines.append(f"  nodes, in order ({len(step.nodes)}):")
    for number, node in enumerate(step.nodes, 1):
        lines += _node_text(number, node)
    if commands:
        for roles, cmds in _command_groups(step.nodes):
            lines.append(f"  on each {roles} node, after labctl drained it:")
            lines += [f"    $ {c}" for c in cmds]
    return lines


def _node_text(number: int, node: NodeStep) -> list[str]:
    verdict = "drain refused" if node.blocked else "drain ok"
    lines = [f"    {number}. {node.name} ({node.role}, kubelet {node.kubelet}): {verdict}"]
    lines += [f"       x {r}" for r in node.refusals]
    return lines


def _command_groups(nodes: tuple[NodeStep, ...]) -> list[tuple[str, tuple[str, ...]]]:
    """Nodes that run the same commands, once: (roles, commands) in node order."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for node in nodes:
        roles = groups.setdefault(node.commands, [])
        if node.role not in roles:
            roles.append(node.role)
    return [(" / ".join(roles), cmds) for cmds, roles in groups.items()]


def to_markdown(plan: UpgradePlan) -> str:
    lines = [
        f"# Kubernetes upgrade {plan.apiserver} -> {plan.target.minor_name}",
        "",
        f"kube-apiserver {plan.apiserver}, lowest kubelet {plan.lowest_kubelet}; "
        f"{len(plan.steps)} minor steps. "
        + ("**Blocked**: see below." if plan.blocked else "Nothing blocks the plan."),
    ]
    if plan.before:
        lines += ["", "## Before the first step", ""]
        lines += [_md_finding(f) for f in plan.before]
    for step in plan.steps:
        state = "blocked" if step.blockers else "ready"
        lines += ["", f"## Step {step.number}: {step.title} ({state})", ""]
        lines.append(f"- control plane: {step.control_plane}")
        lines += [_md_finding(f) for f in step.findings]
        lines += ["", "| # | node | role | kubelet | drain preflight |", "|---|---|---|---|---|"]
        for number, node in enumerate(step.nodes, 1):
            pre = "; ".join(node.refusals) or "ok"
            lines.append(f"| {number} | {node.name} | {node.role} | {node.kubelet} | {pre} |")
        for roles, cmds in _command_groups(step.nodes):
            lines += ["", f"On each {roles} node, after `labctl upgrade node` drained it:"]
            lines += ["", "```sh", *cmds, "```"]
    if plan.blocked:
        lines += ["", "## Blockers", ""]
        lines += [f"- {b}" for b in plan.blockers]
    lines += ["", *[f"Source: {n}  " for n in plan.notes]]
    return "\n".join(lines).rstrip() + "\n"


def _md_finding(finding: Finding) -> str:
    box = "**blocks**: " if finding.blocks else ""
    fix = f" (fix: `{finding.fix}`)" if finding.fix else ""
    return f"- {finding.area}: {box}{finding.message}{fix}"
