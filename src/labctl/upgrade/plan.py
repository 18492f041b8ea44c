"""`labctl upgrade plan`: the minor steps to a target version, and what each one needs.

kubeadm upgrades one minor version at a time, so the path from the running version (the
lowest of kube-apiserver and the kubelets) to the target is one step per minor. Each step
lists the APIs it removes that something still uses, the pinned charts and CRDs against the
new version, etcd and Velero backups, and the nodes in order (control plane first), each with
the preflight of `labctl node drain` and the commands a person runs on it. A step with a
blocker is refused (exit 3) with what blocks it.

Pure: `build_plan(PlanInputs) -> UpgradePlan`; `facts` reads the inputs live or offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from labctl.actions import drain
from labctl.actions.plan import Plan
from labctl.checks import etcd as etcd_check
from labctl.cluster.snapshot import Snapshot, parse_time
from labctl.kubeversion import Version, VersionError
from labctl.upgrade import apis, charts, commands, skew
from labctl.upgrade.facts import CRDS, JOBS, Versions, family_resource, versions
from labctl.upgrade.removed_apis import READ_ON, REMOVED, SOURCE

Obj = dict[str, Any]
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"


@dataclass(frozen=True)
class Finding:
    area: str  # skew, api, tree, chart, crd, etcd, velero
    message: str
    blocks: bool = False
    fix: str = ""


@dataclass(frozen=True)
class NodeStep:
    name: str
    role: str
    kubelet: str
    refusals: tuple[str, ...]
    warnings: tuple[str, ...]
    commands: tuple[str, ...]

    @property
    def blocked(self) -> bool:
        return bool(self.refusals)


@dataclass(frozen=True)
class UpgradeStep:
    number: int
    source: Version
    target: Version
    control_plane: str  # what happens to the control plane in this step
    findings: tuple[Finding, ...]
    nodes: tuple[NodeStep, ...]

    @property
    def title(self) -> str:
        return f"{self.source.minor_name} -> {self.target.minor_name}"

    @property
    def blockers(self) -> list[str]:
        out = [f.message + (f": {f.fix}" if f.fix else "") for f in self.findings if f.blocks]
        for node in self.nodes:
            out += [f"drain {node.name}: {r}" for r in node.refusals]
        return out


@dataclass(frozen=True)
class UpgradePlan:
    apiserver: str
    lowest_kubelet: str
    target: Version
    before: tuple[Finding, ...]
    steps: tuple[UpgradeStep, ...]
    notes: tuple[str, ...] = ()

    @property
    def blockers(self) -> list[str]:
        out = [f.message + (f": {f.fix}" if f.fix else "") for f in self.before if f.blocks]
        for step in self.steps:
            out += [f"step {step.number} ({step.title}): {b}" for b in step.blockers]
        return out

    @property
    def blocked(self) -> bool:
        return bool(self.blockers)


@dataclass
class PlanInputs:
    cluster: Snapshot
    target: Version
    tree: Sequence[apis.TreeObject] = ()
    chart_ranges: dict[tuple[str, str], str] = field(default_factory=dict)
    now: datetime | None = None  # the time backups are judged at (default: the snapshot's)


class PlanError(ValueError):
    """The plan cannot be made (bad target, no version known); the message says why."""


@dataclass(frozen=True)
class _Cluster:
    """What every step reads, worked out once: versions, API uses, each node's drain plan."""

    snap: Snapshot
    found: Versions
    inputs: PlanInputs
    now: datetime
    uses: list[apis.ApiUse]
    missing: list[str]  # kinds with removed APIs that were not collected
    drains: dict[str, Plan]


def _quorum_inputs(
    on_node: list[dict[str, Any]], pods: list[dict[str, Any]], statefulsets: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """As `drain.read_inputs` reads them live: the StatefulSets with a pod on the node, and
    all of their pods, so the offline plan refuses what would break a quorum (Vault's Raft)."""
    owners = {owner for p in on_node if (owner := drain.statefulset_owner(p))}
    meta = [(s, s.get("metadata") or {}) for s in statefulsets]
    sets = [s for s, m in meta if (m.get("namespace") or "default", m.get("name")) in owners]
    peers = [p for p in pods if drain.statefulset_owner(p) in owners]
    return sets, peers


def _cluster(inputs: PlanInputs) -> _Cluster:
    snap = inputs.cluster
    live, missing = apis.live_uses(snap, inputs.tree)
    pods = snap.items("pods") or []
    budgets = snap.items("poddisruptionbudgets.policy") or []
    statefulsets = snap.items("statefulsets.apps") or []
    drains = {}
    for node in snap.items("nodes") or []:
        name = str(node["metadata"]["name"])
        on_node = [p for p in pods if (p.get("spec") or {}).get("nodeName") == name]
        sets, peers = _quorum_inputs(on_node, pods, statefulsets)
        drains[name] = drain.plan_drain(drain.DrainInputs(node, on_node, budgets, sets, peers))
    uses = [*apis.tree_uses(inputs.tree), *live]
    now = inputs.now or snap.taken_at
    return _Cluster(snap, versions(snap), inputs, now, uses, missing, drains)


def build_plan(inputs: PlanInputs) -> UpgradePlan:
    cluster = _cluster(inputs)
    found = cluster.found
    if not found.apiservers:
        raise PlanError(
            "the API server's version is unknown: no serverVersion in snapshot.json and no "
            "kube-apiserver pod (add pods.json, or take the snapshot with labctl snapshot save)"
        )
    apiserver = min(found.apiservers.values())
    lowest_kubelet = min(found.kubelets.values(), default=apiserver)
    start = min(apiserver, lowest_kubelet)
    target = inputs.target
    if target.major != start.major or start.minors_to(target) <= 0:
        raise PlanError(
            f"--to {target.minor_name} is not newer than the running {start.minor_name} "
            f"(kube-apiserver {apiserver}, lowest kubelet {lowest_kubelet})"
        )
    before = _before(cluster, start)
    steps = []
    minor = Version(start.major, start.minor)
    number = 1
    while minor < Version(target.major, target.minor):
        nxt = minor.next_minor()
        steps.append(_step(cluster, number, minor, nxt))
        minor, number = nxt, number + 1
    notes = (
        f"removed APIs: {SOURCE} (read {READ_ON})",
        f"version skew: {skew.SOURCE}",
    )
    return UpgradePlan(str(apiserver), str(lowest_kubelet), target, before, tuple(steps), notes)


# --- before the first step -------------------------------------------------------------------


def _before(cluster: _Cluster, start: Version) -> tuple[Finding, ...]:
    found = cluster.found
    out = [
        Finding("skew", problem, blocks=True)
        for problem in skew.current_problems(
            found.apiservers, found.kubelets, found.proxies, found.controllers
        )
    ]
    for use in cluster.uses:
        removed = use.api.removed_in
        if removed is None:
            out.append(_api_finding(use, f"{use.api.note}", blocks=True))
        elif Version.parse(removed) <= start:
            out.append(_api_finding(use, f"already removed in {removed}", blocks=False))
    if not cluster.inputs.tree:
        out.append(Finding("tree", "no tree given: its manifests and chart pins are not checked"))
    relevant = _relevant_families(start)
    missing = [m for m in cluster.missing if m in relevant]
    if missing:
        out.append(
            Finding(
                "api",
                f"{len(missing)} kinds with APIs removed on the way are not in the snapshot, so "
                f"not checked: {', '.join(missing)}",
                fix="kubectl get <resource> -A -o json > <resource>.json in the snapshot folder",
            )
        )
    return tuple(out)


def _relevant_families(start: Version) -> set[str]:
    """The resources with an API removed after `start` (or a component's own removed API)."""
    out = set()
    for row in REMOVED:
        if row.removed_in is None or Version.parse(row.removed_in) > start:
            out |= {family_resource(row.group, kind) for kind in row.kinds}
    return out


def _api_finding(use: apis.ApiUse, why: str, blocks: bool) -> Finding:
    message = f"{use.object} uses {use.api.api_version} ({why}; {use.source})"
    return Finding("api", message, blocks=blocks, fix=use.fix)


# --- one step --------------------------------------------------------------------------------


def _step(cluster: _Cluster, number: int, source: Version, target: Version) -> UpgradeStep:
    found, inputs, snap = cluster.found, cluster.inputs, cluster.snap
    findings: list[Finding] = []
    findings += _removed_apis(cluster.uses, target)
    findings += _charts(inputs, source, target)
    findings += _crds(inputs, snap, source, target)
    already = {n: max(v, source) for n, v in found.kubelets.items()}
    findings += [Finding("skew", p, blocks=True) for p in skew.step_problems(target, already)]
    findings += _etcd(snap, found, cluster.now, first=number == 1)
    findings += _etcd_minor(found, source, target)
    findings += _velero(snap, cluster.now)
    oldest, newest = min(found.apiservers.values()), max(found.apiservers.values())
    if newest < target:
        control_plane = (
            f"kubeadm upgrade apply v{target.minor_name}.x on the first control-plane node, "
            "kubeadm upgrade node on any other; workers after them"
        )
    elif oldest < target:
        control_plane = "kubeadm upgrade node on the control-plane nodes still behind"
    else:
        control_plane = f"control plane already at {oldest}"
    nodes = _nodes(cluster, source, target, newest < target)
    return UpgradeStep(number, source, target, control_plane, tuple(findings), tuple(nodes))


def _removed_apis(uses: list[apis.ApiUse], target: Version) -> list[Finding]:
    out = []
    for use in uses:
        if use.api.removed_in == target.minor_name:
            out.append(_api_finding(use, f"removed in {target.minor_name}", blocks=not use.stale))
    return out


def _charts(inputs: PlanInputs, source: Version, target: Version) -> list[Finding]:
    applications = [
        (item.path, item.obj) for item in inputs.tree if item.obj.get("kind") == "Application"
    ]
    out = []
    allowed = 0
    for pin in charts.pins(applications):
        verdict = charts.judge(pin, inputs.chart_ranges, source, target)
        if verdict.blocks or not verdict.message.endswith("allows it"):
            out.append(Finding("chart", verdict.message, blocks=verdict.blocks))
        else:
            allowed += 1
    if allowed:
        out.append(Finding("chart", f"{allowed} pinned charts allow {target.minor_name}"))
    return out


def _crds(inputs: PlanInputs, snap: Snapshot, source: Version, target: Version) -> list[Finding]:
    crds = [
        (f"tree {i.path}", i.obj)
        for i in inputs.tree
        if i.obj.get("kind") == "CustomResourceDefinition"
    ]
    crds += [("live", crd) for crd in snap.items(CRDS) or []]
    out = []
    for where, crd in crds:
        name = (crd.get("metadata") or {}).get("name")
        for minor, feature in charts.crd_needs(crd):
            needed = Version.parse(minor)
            if source < needed <= target:
                out.append(
                    Finding("crd", f"CRD {name} ({where}) uses {feature}: served from {minor} on")
                )
    return out


# kubeadm runs etcd 3.5 up to Kubernetes 1.33 and 3.6 from 1.34 (etcd-io/etcd, "Bump etcd
# Version in Kubernetes"); etcd's v3.5 -> v3.6 guide (etcd.io/docs/v3.6/upgrades/upgrade_3_6/)
# asks every member to run a late 3.5 patch first: 3.5.20 in its first revision, 3.5.26 since.
ETCD_36_FROM = Version(1, 34)
ETCD_35_BEFORE_36 = Version(3, 5, 26)


def _etcd_minor(found: Versions, source: Version, target: Version) -> list[Finding]:
    if not source < ETCD_36_FROM <= target:
        return []
    behind = []
    for node, tag in sorted(found.etcd.items()):
        try:
            running = Version.parse(tag)
        except VersionError:
            continue
        if running < ETCD_35_BEFORE_36:
            behind.append(f"{tag} on {node}")
    if not behind:
        return []
    message = (
        f"kubeadm {target.minor_name} moves etcd to 3.6; etcd's upgrade guide wants every member "
        f"on {ETCD_35_BEFORE_36} or later first, and it runs {', '.join(behind)}"
    )
    last = Version(ETCD_36_FROM.major, ETCD_36_FROM.minor - 1).minor_name
    fix = (
        f"be on the newest {last}.x patch first (its kubeadm brings a late etcd 3.5); "
        "check the etcd line of kubeadm upgrade plan"
    )
    return [Finding("etcd", message, fix=fix)]


def _etcd(snap: Snapshot, found: Versions, now: datetime, first: bool) -> list[Finding]:
    version = ", ".join(f"{tag} on {node}" for node, tag in sorted(found.etcd.items()))
    out = [Finding("etcd", f"etcd {version or 'version unknown (no etcd pod seen)'}")]
    if not first:
        out.append(
            Finding("etcd", "take a fresh snapshot before this step", fix="labctl etcd snapshot")
        )
        return out
    jobs = snap.items(JOBS)
    if jobs is None:
        out.append(
            Finding(
                "etcd",
                "etcd snapshots unknown (jobs.batch not collected)",
                blocks=True,
                fix="labctl etcd snapshot",
            )
        )
        return out
    newest = etcd_check.newest_snapshot(jobs)
    if newest is None:
        out.append(Finding("etcd", "no etcd snapshot", blocks=True, fix="labctl etcd snapshot"))
        return out
    job, when = newest
    age = now - when
    name = (job.get("metadata") or {}).get("name")
    if age > etcd_check.MAX_AGE:
        message = f"newest etcd snapshot {name} is {etcd_check.age_text(age)} old (over 24h)"
        out.append(Finding("etcd", message, blocks=True, fix="labctl etcd snapshot"))
    else:
        out.append(Finding("etcd", f"etcd snapshot {name}, {etcd_check.age_text(age)} old"))
    return out


def _velero(snap: Snapshot, now: datetime) -> list[Finding]:
    locations = snap.items("backupstoragelocations.velero.io")
    backups = snap.items("backups.velero.io")
    if locations is None or backups is None:
        return [Finding("velero", "Velero backups unknown (not collected)")]
    out = []
    any_completed = False
    for location in sorted(locations, key=lambda o: str(o["metadata"]["name"])):
        name = str(location["metadata"]["name"])
        done = [
            (parse_time((b.get("status") or {}).get("completionTimestamp")), b)
            for b in backups
            if (b.get("spec") or {}).get("storageLocation") == name
            and (b.get("status") or {}).get("phase") == "Completed"
        ]
        dated = [(when, b) for when, b in done if when is not None]
        if not dated:
            out.append(Finding("velero", f"location {name}: no Completed backup"))
            continue
        any_completed = True
        when, backup = max(dated, key=lambda pair: pair[0])
        age = etcd_check.age_text(now - when)
        out.append(
            Finding(
                "velero",
                f"location {name}: newest Completed {backup['metadata']['name']} ({age} old)",
            )
        )
    if not any_completed:
        out.append(
            Finding(
                "velero",
                "no Completed Velero backup in any location",
                blocks=True,
                fix="labctl backup create",
            )
        )
    return out


def _nodes(
    cluster: _Cluster, source: Version, target: Version, control_plane_moves: bool
) -> list[NodeStep]:
    nodes = cluster.snap.items("nodes") or []
    ordered = sorted(nodes, key=lambda n: (not _is_control_plane(n), str(n["metadata"]["name"])))
    out = []
    first_done = not control_plane_moves
    for node in ordered:
        name = str(node["metadata"]["name"])
        kubelet = cluster.found.kubelets.get(name)
        if kubelet is not None and kubelet >= target:
            continue
        if _is_control_plane(node):
            role = commands.CONTROL_PLANE if first_done else commands.FIRST_CONTROL_PLANE
            first_done = True
        else:
            role = commands.WORKER
        preflight = cluster.drains[name]
        os_image = str(((node.get("status") or {}).get("nodeInfo") or {}).get("osImage", ""))
        out.append(
            NodeStep(
                name,
                role,
                _kubelet_at(kubelet, source),
                preflight.refusals,
                preflight.warnings,
                tuple(commands.node_commands(role, source, target, os_image)),
            )
        )
    return out


def _kubelet_at(kubelet: Version | None, source: Version) -> str:
    """The kubelet's version when this step starts (earlier steps upgraded it)."""
    if kubelet is None:
        return "?"
    return str(kubelet) if kubelet >= source else f"{source.minor_name}.x"


def _is_control_plane(node: Obj) -> bool:
    return CONTROL_PLANE_LABEL in ((node.get("metadata") or {}).get("labels") or {})
