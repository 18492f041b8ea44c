"""PodDisruptionBudgets: which pods a budget covers, and which evictions it would refuse.

`preflight` simulates evicting pods in order against the budgets' current status, as the
eviction API would answer them (ops-apis.md section 6): a budget allowing no disruption while
all of its pods are healthy (the seed's one-replica PostgreSQL with `minAvailable: 1`) refuses
forever; one that is only short of healthy pods refuses until they recover; two budgets on one
pod make the API answer 500. Pure functions over objects as the API server sends them.
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


def preflight(pods: Iterable[Obj], budgets: Sequence[Obj]) -> list[Blocker]:
    """Simulate evicting `pods` in order against `budgets`; the pods that would get a 429."""
    allowed: dict[str, int] = {}
    blockers: list[Blocker] = []
    for pod in pods:
        if _terminal(pod):
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
            blockers.append(_blocker(pod, budget))
    return blockers


def _blocker(pod: Obj, budget: Obj) -> Blocker:
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


def _terminal(pod: Obj) -> bool:
    return _status(pod).get("phase") in ("Succeeded", "Failed")


def _meta(obj: Obj) -> Obj:
    return dict(obj.get("metadata") or {})


def _status(obj: Obj) -> Obj:
    return dict(obj.get("status") or {})


def _ref(obj: Obj) -> str:
    meta = _meta(obj)
    return f"{meta.get('namespace') or 'default'}/{meta.get('name')}"
