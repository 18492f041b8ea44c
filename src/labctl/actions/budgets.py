"""The drain preflight: which evictions the API would refuse, or that would lose a quorum.

`preflight` simulates evicting pods in order against the budgets' current status, as the
eviction API would answer them (ops-apis.md section 6; pkg/registry/core/pod/storage/eviction.go):
a budget allowing no disruption while all of its pods are healthy (the seed's one-replica
PostgreSQL with `minAvailable: 1`) refuses forever, and so does one short of healthy pods only
because the pods being drained are the unready ones (a crashlooping single replica: it does not
become Ready by waiting); one short of healthy pods elsewhere refuses until they recover; two
budgets on one pod make the API answer 500. Pending, finished and terminating pods are evicted
regardless of budgets, as the API does. With the StatefulSets and their pods, it also refuses
evictions that would take a quorum-based workload (Vault Raft) below its majority
(`labctl.actions.quorum`), which a PDB cannot see. Pure functions over objects as the API server
sends them; `labctl node drain` and `labctl upgrade` share them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]


@dataclass(frozen=True)
class Blocker:
    """A pod whose eviction a PodDisruptionBudget would refuse, and why."""

    pod: str
    budget: str
    why: str
    forever: bool
    quorum: bool = False  # the API would allow it, but it would stop a quorum-based workload


def preflight(
    pods: Iterable[Obj],
    budgets: Sequence[Obj],
    statefulsets: Sequence[Obj] = (),
    peers: Sequence[Obj] = (),
) -> list[Blocker]:
    """Simulate evicting `pods` in order: the pods the eviction API would refuse (429, 500),
    and those whose eviction would break the quorum of one of `statefulsets` (`peers`: the pods
    of those StatefulSets on every node)."""
    from labctl.actions import quorum

    pods = list(pods)
    blockers = [
        Blocker(loss.pod, f"StatefulSet {loss.group.workload}", loss.why, True, quorum=True)
        for loss in quorum.losses(pods, quorum.groups(statefulsets, peers, budgets))
    ]
    refused = {b.pod for b in blockers}
    unready_here: dict[str, int] = {}  # per budget: its unready pods among those drained
    for pod in pods:
        if not _budget_ignored(pod) and _unhealthy(pod):
            for budget in budgets:
                if _covers(budget, pod):
                    unready_here[_ref(budget)] = unready_here.get(_ref(budget), 0) + 1
    allowed: dict[str, int] = {}
    for pod in pods:
        if _budget_ignored(pod) or _ref(pod) in refused:
            continue
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
        initially = int(_status(budget).get("disruptionsAllowed") or 0)
        left = allowed.setdefault(key, initially)
        if left > 0:
            allowed[key] = left - 1
        elif _unhealthy(pod) and _unhealthy_may_go(budget):
            continue
        elif initially > 0:
            # Earlier evictions used the allowance; their replacements, once ready elsewhere,
            # give it back.
            why = (
                f"PDB {key} allows {initially} disruption(s) at a time: this eviction waits "
                "until the replacement of an earlier one is ready"
            )
            blockers.append(Blocker(_ref(pod), key, why, forever=False))
        else:
            blockers.append(_blocker(pod, budget, unready_here.get(key, 0)))
    return blockers


def _blocker(pod: Obj, budget: Obj, unready_here: int) -> Blocker:
    status = budget.get("status")
    spec = budget.get("spec") or {}
    rule = (
        f"minAvailable: {spec['minAvailable']}"
        if spec.get("minAvailable") is not None
        else f"maxUnavailable: {spec.get('maxUnavailable', '?')}"
    )
    if not status:
        why = f"PDB {_ref(budget)} ({rule}) has no status yet: the eviction API refuses"
        return Blocker(_ref(pod), _ref(budget), why, forever=True)
    healthy = int(status.get("currentHealthy") or 0)
    desired = int(status.get("desiredHealthy") or 0)
    expected = int(status.get("expectedPods") or 0)
    counts = f"{healthy} of {expected} pods healthy, {desired} required"
    if healthy >= expected:
        why = (
            f"PDB {_ref(budget)} ({rule}) allows 0 disruptions with {counts}; nothing can "
            "become healthy first. Scale it up or allow a disruption (e.g. maxUnavailable: 1)"
        )
        return Blocker(_ref(pod), _ref(budget), why, forever=True)
    if _unhealthy(pod) and expected - healthy <= unready_here:
        # The pods the budget misses are the unready ones being drained: waiting cannot help.
        why = (
            f"{_ref(pod)} is not Ready and PDB {_ref(budget)} ({rule}) allows 0 disruptions "
            f"with {counts}: the eviction API refuses until the pod is Ready again, which a "
            "drain cannot bring about. Fix the pod (labctl troubleshoot pod "
            f"{_meta(pod).get('name')} -n {_ref(pod).split('/')[0]}), or let unready pods go "
            "(spec.unhealthyPodEvictionPolicy: AlwaysAllow on the PDB), or delete it with "
            "--force --reason"
        )
        return Blocker(_ref(pod), _ref(budget), why, forever=True)
    why = f"PDB {_ref(budget)} ({rule}) allows 0 disruptions until more pods are healthy ({counts})"
    return Blocker(_ref(pod), _ref(budget), why, forever=False)


def _covers(budget: Obj, pod: Obj) -> bool:
    if _ref(budget).split("/")[0] != _ref(pod).split("/")[0]:
        return False
    selector = (budget.get("spec") or {}).get("selector")
    return selects(selector, _meta(pod).get("labels") or {})


def selects(selector: Obj | None, labels: dict[str, str]) -> bool:
    """A LabelSelector against labels (null selects nothing, {} selects everything)."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key = expression.get("key")
        present = key in labels
        value = labels.get(key)
        values = expression.get("values") or []
        ok = {
            "In": present and value in values,
            "NotIn": not present or value not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }.get(expression.get("operator"), False)
        if not ok:
            return False
    return True


def _unhealthy(pod: Obj) -> bool:
    conditions = _status(pod).get("conditions") or []
    return not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _unhealthy_may_go(budget: Obj) -> bool:
    # IfHealthyBudget (the default) lets unhealthy pods go only while the budget is met.
    if (budget.get("spec") or {}).get("unhealthyPodEvictionPolicy") == "AlwaysAllow":
        return True
    status = budget.get("status")
    if not status:
        return False
    return int(status.get("currentHealthy") or 0) >= int(status.get("desiredHealthy") or 0)


def _budget_ignored(pod: Obj) -> bool:
    """Pods the eviction API deletes without consulting budgets (its canIgnorePDB)."""
    phase = _status(pod).get("phase")
    return phase in ("Succeeded", "Failed", "Pending") or bool(_meta(pod).get("deletionTimestamp"))


def _meta(obj: Obj) -> Obj:
    return dict(obj.get("metadata") or {})


def _status(obj: Obj) -> Obj:
    return dict(obj.get("status") or {})


def _ref(obj: Obj) -> str:
    meta = _meta(obj)
    return f"{meta.get('namespace') or 'default'}/{meta.get('name')}"
