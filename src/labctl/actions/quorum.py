"""Quorum-based workloads: which evictions would take a majority of their members away.

A Raft cluster of n voters stays writable while a majority (n // 2 + 1) of them is up. A
PodDisruptionBudget counts Ready pods, which is not the same: the Vault chart's readiness probe
accepts a sealed replica (`sealedcode=204`), so a PDB sees three healthy Vault pods while Raft
has two working voters, and evicting one of those two stops Vault. So the drain preflight judges
these workloads by their members:

- Vault (or OpenBao) StatefulSets, known by `app.kubernetes.io/name`: a member works when its
  pod is Ready and Vault's Kubernetes service registration does not label it `vault-sealed=true`;
- any other StatefulSet of 3 or more replicas whose PDB guards a majority (`minAvailable` is
  n // 2 + 1, or `maxUnavailable` leaves exactly that many): a member works when its pod is Ready.

Pure functions over objects as the API server sends them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from labctl.vault.status import quorum

Obj = dict[str, Any]

VAULT_NAMES = frozenset({"vault", "openbao"})
NAME_LABEL = "app.kubernetes.io/name"
SEALED_LABEL = "vault-sealed"  # set by Vault's `service_registration "kubernetes"`


@dataclass(frozen=True)
class Group:
    """One quorum-based StatefulSet and its members as they are now."""

    workload: str  # namespace/name
    what: str  # "Vault Raft" or "quorum (PDB ns/name guards a majority)"
    members: int  # spec.replicas: the voters
    working: frozenset[str]  # pods (namespace/name) that count towards the quorum
    not_working: tuple[tuple[str, str], ...]  # the others (pod name, why): ("vault-2", "sealed")

    @property
    def size(self) -> int:
        return quorum(self.members).size


@dataclass(frozen=True)
class Loss:
    """An eviction that would leave a group below its quorum."""

    pod: str
    group: Group
    left: int

    @property
    def why(self) -> str:
        group = self.group
        namespace = group.workload.split("/")[0]
        down = ", ".join(f"{pod} ({reason})" for pod, reason in group.not_working)
        first = [
            f"labctl vault unseal {pod}"
            if reason == "sealed"
            else f"labctl troubleshoot pod {pod} -n {namespace}"
            for pod, reason in group.not_working
            if reason != "terminating"
        ]
        fix = f" ({'; '.join(first)})" if first else ""
        # With every member working, no member can come back: the cluster is too small to
        # lose one (2 voters need both); only more members make this drain safe.
        remedy = (
            f"Bring the other members back first{fix}, then drain"
            if group.not_working
            else f"{group.members} members tolerate no failure: run an odd number of at least 3 "
            "(vault.replicas in cluster.yaml), then drain"
        )
        return (
            f"{group.what} of StatefulSet {group.workload} would keep {self.left} of "
            f"{group.members} members working, below its quorum of {group.size}"
            + (f"; not working now: {down}" if down else "")
            + f". {remedy}"
        )


def groups(
    statefulsets: Iterable[Obj], peers: Sequence[Obj], budgets: Sequence[Obj]
) -> list[Group]:
    """The quorum-based StatefulSets among `statefulsets`; `peers` are pods of any of them."""
    found = []
    for workload in statefulsets:
        members = int((workload.get("spec") or {}).get("replicas", 1))
        vault = _labels(_template(workload)).get(NAME_LABEL) in VAULT_NAMES
        guard = None if vault else _majority_guard(workload, members, budgets)
        if not vault and guard is None:
            continue
        what = "Vault Raft" if vault else f"the quorum (PDB {guard} guards a majority)"
        pods = [p for p in peers if _owner(p) == ("StatefulSet", _ref(workload))]
        working, not_working = [], []
        for pod in sorted(pods, key=_ref):
            reason = _not_working(pod, vault)
            if reason:
                not_working.append((str(_meta(pod).get("name")), reason))
            else:
                working.append(_ref(pod))
        found.append(Group(_ref(workload), what, members, frozenset(working), tuple(not_working)))
    return found


def losses(pods: Iterable[Obj], found: Sequence[Group]) -> list[Loss]:
    """Simulate evicting `pods` in order: the evictions that would break a group's quorum."""
    left = {g.workload: set(g.working) for g in found}
    by_workload = {g.workload: g for g in found}
    lost = []
    for pod in pods:
        owner = _owner(pod)
        group = by_workload.get(owner[1]) if owner and owner[0] == "StatefulSet" else None
        if group is None or _ref(pod) not in left[group.workload]:
            continue  # not a member, or one that does not count towards the quorum anyway
        remaining = left[group.workload] - {_ref(pod)}
        if len(remaining) < group.size:
            lost.append(Loss(_ref(pod), group, len(remaining)))
            continue
        left[group.workload] = remaining
    return lost


def _majority_guard(workload: Obj, members: int, budgets: Sequence[Obj]) -> str | None:
    from labctl.actions.budgets import selects

    if members < 3:
        return None
    majority = quorum(members).size
    labels = _labels(_template(workload))
    namespace = _ref(workload).split("/")[0]
    for budget in budgets:
        spec = budget.get("spec") or {}
        if _ref(budget).split("/")[0] != namespace or not selects(spec.get("selector"), labels):
            continue
        if str(spec.get("minAvailable")) == str(majority):
            return _ref(budget)
        if str(spec.get("maxUnavailable")) == str(members - majority):
            return _ref(budget)
    return None


def _not_working(pod: Obj, vault: bool) -> str:
    if (_meta(pod).get("deletionTimestamp")) is not None:
        return "terminating"
    conditions = (pod.get("status") or {}).get("conditions") or []
    if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
        return "not Ready"
    if vault and _labels(pod).get(SEALED_LABEL) == "true":
        return "sealed"
    return ""


def _template(workload: Obj) -> Obj:
    return dict(((workload.get("spec") or {}).get("template")) or {})


def _owner(pod: Obj) -> tuple[str, str] | None:
    for owner in _meta(pod).get("ownerReferences") or []:
        if owner.get("controller"):
            return str(owner.get("kind")), f"{_ref(pod).split('/')[0]}/{owner.get('name')}"
    return None


def _meta(obj: Obj) -> Obj:
    return dict(obj.get("metadata") or {})


def _labels(obj: Obj) -> dict[str, str]:
    return dict(_meta(obj).get("labels") or {})


def _ref(obj: Obj) -> str:
    meta = _meta(obj)
    return f"{meta.get('namespace') or 'default'}/{meta.get('name')}"
