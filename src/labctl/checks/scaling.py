"""Scaling: HorizontalPodAutoscalers at their limits or blind, and PDBs that block drains."""

from __future__ import annotations

import json
from collections.abc import Iterator

from labctl.checks._objects import (
    by_namespace,
    condition,
    labels,
    qualified,
    selector_matches,
    spec,
    status,
)
from labctl.checks.model import Severity, Subject, Unknown, Verdict, check
from labctl.cluster.snapshot import Obj, Snapshot

Results = Iterator[tuple[Subject, Verdict]]

NEAR_MAX = 0.8


V1_CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions"


def _hpas(snap: Snapshot) -> list[Obj]:
    return snap.require("horizontalpodautoscalers.autoscaling")


def _hpa_condition(hpa: Obj, type_: str) -> Obj | None:
    """An HPA condition; an autoscaling/v1 object keeps them as JSON in an annotation."""
    found = condition(hpa, type_)
    if found is not None or "conditions" in status(hpa):
        return found
    raw = ((hpa.get("metadata") or {}).get("annotations") or {}).get(V1_CONDITIONS)
    try:
        conditions = json.loads(raw) if raw else []
    except ValueError:
        return None
    if not isinstance(conditions, list):
        return None
    return next((c for c in conditions if isinstance(c, dict) and c.get("type") == type_), None)


def _counts(hpa: Obj) -> tuple[int, int, int]:
    """(current, desired, max) replicas."""
    st = status(hpa)
    return (
        int(st.get("currentReplicas", 0)),
        int(st.get("desiredReplicas", 0)),
        int(spec(hpa).get("maxReplicas", 0)),
    )


@check(
    "LAB-801",
    "hpa-at-max",
    area="scaling",
    severity=Severity.WARNING,
    summary="An HPA runs at its maxReplicas: it cannot absorb more load.",
    hint="raise maxReplicas or add capacity; kubectl describe hpa -n {namespace} {name}",
)
def hpa_at_max(snap: Snapshot) -> Results:
    for hpa in _hpas(snap):
        current, _, maximum = _counts(hpa)
        at_max = maximum > 0 and current >= maximum
        yield (
            hpa,
            f"HPA {qualified(hpa)} is at its maximum of {maximum} replicas" if at_max else None,
        )


@check(
    "LAB-802",
    "hpa-near-max",
    area="scaling",
    severity=Severity.WARNING,
    summary=f"An HPA runs at {NEAR_MAX:.0%} or more of its maxReplicas (below the maximum).",
    hint="watch the load; raise maxReplicas before it is reached",
)
def hpa_near_max(snap: Snapshot) -> Results:
    for hpa in _hpas(snap):
        current, _, maximum = _counts(hpa)
        near = maximum > 0 and NEAR_MAX * maximum <= current < maximum
        yield (
            hpa,
            (
                f"HPA {qualified(hpa)} runs {current} of at most {maximum} replicas"
                if near
                else None
            ),
        )


@check(
    "LAB-803",
    "hpa-scaling-inactive",
    area="scaling",
    severity=Severity.WARNING,
    summary="An HPA has ScalingActive=False (usually no metrics: is metrics-server running?) or "
    "AbleToScale=False; not ScalingDisabled (its target scaled to 0 on purpose). Reads an "
    "autoscaling/v1 HPA's conditions from its annotation.",
    hint="kubectl describe hpa -n {namespace} {name}; "
    "kubectl get apiservice v1beta1.metrics.k8s.io",
)
def hpa_scaling_inactive(snap: Snapshot) -> Results:
    for hpa in _hpas(snap):
        blocked = [
            c
            for c in (_hpa_condition(hpa, "ScalingActive"), _hpa_condition(hpa, "AbleToScale"))
            if c is not None
            and c.get("status") == "False"
            # the target was scaled to 0 on purpose: the HPA rests until it is scaled up
            and c.get("reason") != "ScalingDisabled"
        ]
        if not blocked:
            yield hpa, None
            continue
        first = blocked[0]
        why = first.get("reason") or first.get("message") or ""
        yield hpa, f"HPA {qualified(hpa)} has {first.get('type')}=False ({why})"


@check(
    "LAB-804",
    "hpa-not-converged",
    area="scaling",
    severity=Severity.WARNING,
    summary="An HPA's desired replicas differ from its current replicas.",
    hint="kubectl describe hpa -n {namespace} {name}; check the target's rollout and pod findings",
)
def hpa_not_converged(snap: Snapshot) -> Results:
    for hpa in _hpas(snap):
        current, desired, _ = _counts(hpa)
        differs = desired > 0 and desired != current
        yield (
            hpa,
            (
                f"HPA {qualified(hpa)} wants {desired} replicas but has {current}"
                if differs
                else None
            ),
        )


def _pdbs(snap: Snapshot) -> list[Obj]:
    return snap.require("poddisruptionbudgets.policy")


@check(
    "LAB-805",
    "pdb-blocks-drain",
    area="scaling",
    severity=Severity.WARNING,
    summary="A PodDisruptionBudget allows 0 disruptions: draining a node with its pods blocks "
    "forever (e.g. minAvailable: 1 on one replica).",
    hint="run 2+ replicas or use maxUnavailable: 1; labctl node drain checks PDBs first",
)
def pdb_blocks_drain(snap: Snapshot) -> Results:
    for pdb in _pdbs(snap):
        st = status(pdb)
        if "disruptionsAllowed" not in st and "observedGeneration" not in st:
            yield (
                pdb,
                Unknown(f"PDB {qualified(pdb)} has no status yet (not seen by its controller)"),
            )
            continue
        if int(st.get("disruptionsAllowed", 0)) > 0 or int(st.get("expectedPods", 1)) == 0:
            yield pdb, None
            continue
        budget = {k: v for k, v in spec(pdb).items() if k in ("minAvailable", "maxUnavailable")}
        rule = ", ".join(f"{k} {v}" for k, v in budget.items())
        yield (
            pdb,
            (
                f"PDB {qualified(pdb)} allows 0 disruptions ({rule}; "
                f"{st.get('currentHealthy', 0)} of {st.get('expectedPods', '?')} pods healthy): "
                "a drain of their node would block"
            ),
        )


@check(
    "LAB-806",
    "pdb-selects-nothing",
    area="scaling",
    severity=Severity.WARNING,
    summary="A PodDisruptionBudget's selector matches no pod: it protects nothing.",
    hint="fix spec.selector of PDB {namespace}/{name} to match the workload's pod labels",
)
def pdb_selects_nothing(snap: Snapshot) -> Results:
    pods = snap.items("pods")
    index = snap.derived("scaling.pods-by-label", _label_index) if pods is not None else None
    for pdb in _pdbs(snap):
        if index is None:
            empty = int(status(pdb).get("expectedPods", 1)) == 0
        else:
            ns = (pdb.get("metadata") or {}).get("namespace", "")
            selector = spec(pdb).get("selector")
            empty = not any(
                selector_matches(selector, labels(p)) for p in _candidates(index, ns, selector)
            )
        yield pdb, f"PDB {qualified(pdb)} selects no pods" if empty else None


_Index = dict[tuple[str, str, str], list[Obj]]


def _label_index(snap: Snapshot) -> tuple[dict[str, list[Obj]], _Index]:
    """Pods by namespace, and by (namespace, label, value), so a selector scans few pods."""
    pods = snap.items("pods") or []
    by_label: _Index = {}
    for pod in pods:
        ns = (pod.get("metadata") or {}).get("namespace", "")
        for key, value in labels(pod).items():
            by_label.setdefault((ns, key, value), []).append(pod)
    return by_namespace(pods), by_label


def _candidates(
    index: tuple[dict[str, list[Obj]], _Index], ns: str, selector: Obj | None
) -> list[Obj]:
    by_ns, by_label = index
    match_labels = (selector or {}).get("matchLabels") or {}
    if match_labels:
        key, value = next(iter(match_labels.items()))
        return by_label.get((ns, key, value), [])
    return by_ns.get(ns, [])


_TARGETS = {"Deployment": "deployments.apps", "StatefulSet": "statefulsets.apps"}


def _targets(snap: Snapshot) -> Iterator[tuple[Obj, Obj | str | None]]:
    """Each HPA with its target: the object, None if missing, or a kind not collected."""
    found: dict[tuple[str, str, str], Obj] = {}
    for kind, resource in _TARGETS.items():
        for obj in snap.require(resource):
            meta = obj.get("metadata") or {}
            found[(kind, meta.get("namespace", ""), meta.get("name", ""))] = obj
    for hpa in _hpas(snap):
        ref = spec(hpa).get("scaleTargetRef") or {}
        kind = str(ref.get("kind", ""))
        if kind not in _TARGETS:
            yield hpa, kind
            continue
        ns = (hpa.get("metadata") or {}).get("namespace", "")
        yield hpa, found.get((kind, ns, str(ref.get("name", ""))))


@check(
    "LAB-807",
    "hpa-target-missing",
    area="scaling",
    severity=Severity.WARNING,
    summary="An HPA's scaleTargetRef names a Deployment or StatefulSet that does not exist.",
    hint="fix spec.scaleTargetRef of HPA {namespace}/{name}, or delete the HPA",
)
def hpa_target_missing(snap: Snapshot) -> Results:
    for hpa, target in _targets(snap):
        if target is not None:  # found, or a kind (ReplicaSet, a CRD) not collected
            yield hpa, None
            continue
        ref = spec(hpa).get("scaleTargetRef") or {}
        yield (
            hpa,
            f"HPA {qualified(hpa)} scales {ref.get('kind')} {ref.get('name')}, which does not "
            "exist",
        )


def _resource_metrics(hpa: Obj) -> set[str]:
    """The resources (cpu, memory) an HPA scales on as a share of the pods' requests."""
    names: set[str] = set()
    for metric in spec(hpa).get("metrics") or []:
        source = metric.get("resource") or metric.get("containerResource") or {}
        target = source.get("target") or {}
        if metric.get("type") in ("Resource", "ContainerResource") and (
            target.get("type") == "Utilization" or "targetAverageUtilization" in source
        ):
            names.add(str(source.get("name")))
    if not spec(hpa).get("metrics") and "targetCPUUtilizationPercentage" in spec(hpa):
        names.add("cpu")  # autoscaling/v1
    return names


@check(
    "LAB-808",
    "hpa-target-no-requests",
    area="scaling",
    severity=Severity.WARNING,
    summary="An HPA scales on CPU or memory utilization, but a container of its target sets no "
    "request for it: utilization cannot be computed, the HPA does not scale.",
    hint="set resources.requests in the target's pod template (or scale on an AverageValue)",
)
def hpa_target_no_requests(snap: Snapshot) -> Results:
    for hpa, target in _targets(snap):
        wanted = _resource_metrics(hpa)
        if not isinstance(target, dict) or not wanted:
            yield hpa, None
            continue
        template = ((spec(target).get("template") or {}).get("spec") or {}).get("containers") or []
        missing = sorted(
            f"{c.get('name')} ({r})"
            for c in template
            for r in wanted
            if r not in ((c.get("resources") or {}).get("requests") or {})
        )
        yield (
            hpa,
            (
                f"HPA {qualified(hpa)} scales on {', '.join(sorted(wanted))} utilization but "
                f"{target.get('kind')} {qualified(target)} requests none for {', '.join(missing)}"
                if missing
                else None
            ),
        )
