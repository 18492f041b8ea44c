"""Small readers for Kubernetes object dicts, shared by the check modules."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

Obj = dict[str, Any]


def name(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name", "?"))


def namespace(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("namespace", ""))


def qualified(obj: Obj) -> str:
    """`namespace/name` for namespaced objects, `name` otherwise."""
    ns = namespace(obj)
    return f"{ns}/{name(obj)}" if ns else name(obj)


def shown(obj: Obj, home: str) -> str:
    """The name, with its namespace when that is not `home` (the kind's usual namespace)."""
    ns = namespace(obj)
    return f"{ns}/{name(obj)}" if ns and ns != home else name(obj)


def labels(obj: Obj) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def condition(obj: Obj, type_: str) -> Obj | None:
    for cond in status(obj).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == type_:
            return dict(cond)
    return None


def condition_status(obj: Obj, type_: str) -> str | None:
    cond = condition(obj, type_)
    return None if cond is None else str(cond.get("status"))


def selector_matches(selector: Obj | None, pod_labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels, matchExpressions) against labels; empty matches all."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if pod_labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in pod_labels
        if op == "In" and not (present and pod_labels[key] in values):
            return False
        if op == "NotIn" and present and pod_labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def by_namespace(objects: list[Obj]) -> dict[str, list[Obj]]:
    grouped: dict[str, list[Obj]] = defaultdict(list)
    for obj in objects:
        grouped[namespace(obj)].append(obj)
    return grouped
