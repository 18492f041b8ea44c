"""`labctl recover`: the runbook's recovery priority, walked in order.

Vault (secrets for all apps), Argo CD (deploys everything else), ingress (external access),
monitoring (visibility), applications (user-facing). Each stage is judged by the health checks
(`labctl.checks`) over one snapshot. A stage is either fine, fixable by a safe automatic step
(an Argo CD Application that is OutOfSync, Degraded, Unknown or whose last sync failed gets a
hard refresh and a sync, unless an operation is already running), or it needs a person: then the
walk stops there and names the exact next command. Only the automatic steps of the stages before
that one are planned; later stages depend on it and are not judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labctl.actions import argocd
from labctl.actions.plan import Plan, Step

if TYPE_CHECKING:
    from labctl.checks import Finding, Report
    from labctl.cluster.snapshot import Snapshot

Obj = dict[str, Any]
AUTO_FIXED = frozenset(
    {
        "argocd-app-out-of-sync",
        "argocd-app-degraded",
        "argocd-app-health-unknown",
        "argocd-sync-failed",
    }
)
APPS = "applications.argoproj.io"
WORKLOAD_RESOURCES = {
    "Deployment": "deployments.apps",
    "StatefulSet": "statefulsets.apps",
    "DaemonSet": "daemonsets.apps",
}


@dataclass(frozen=True)
class Stage:
    name: str
    namespaces: tuple[str, ...] = ()
    words: tuple[str, ...] = ()  # in an Application's name or destination namespace


STAGES: tuple[Stage, ...] = (
    Stage("Vault", ("vault",), ("vault",)),
    Stage("Argo CD", ("argocd",), ("argocd", "argo-cd")),
    Stage(
        "ingress",
        (
            "ingress-nginx",
            "nginx-gateway",
            "nginx-ingress",
            "cert-manager",
            "metallb-system",
            "cloudflared",
        ),
        ("ingress", "nginx", "gateway", "cert-manager", "metallb", "cloudflare", "tunnel"),
    ),
    Stage(
        "monitoring",
        ("monitoring", "loki", "alloy"),
        ("monitoring", "prometheus", "grafana", "loki", "alloy", "alertmanager"),
    ),
    Stage("applications"),
)


@dataclass
class StageResult:
    name: str
    state: str = "ok"  # ok | automatic | needs a person | not checked
    notes: list[str] = field(default_factory=list)
    next_command: str | None = None


@dataclass(frozen=True)
class Walk:
    stages: tuple[StageResult, ...]
    plan: Plan
    elsewhere: tuple[str, ...] = ()  # critical findings outside the stages (nodes, backups...)

    @property
    def stopped_at(self) -> StageResult | None:
        return next((s for s in self.stages if s.state == "needs a person"), None)


def plan_recover(snapshot: Snapshot, report: Report) -> Walk:
    """Judge each stage in order; plan the automatic steps up to the first that needs a person."""
    apps = {a["metadata"]["name"]: a for a in snapshot.items(APPS) or []}
    by_stage: dict[str, list[Finding]] = {s.name: [] for s in STAGES}
    for finding in report.findings:
        stage_name = _stage_of(finding, apps)
        if stage_name is not None:
            by_stage[stage_name].append(finding)
    results: list[StageResult] = []
    steps: list[Step] = []
    stopped = False
    for stage in STAGES:
        result = StageResult(stage.name)
        results.append(result)
        if stopped:
            result.state = "not checked"
            continue
        _judge(stage, by_stage[stage.name], report, snapshot, result)
        if result.state == "needs a person":
            stopped = True
        elif result.state == "automatic":
            steps += _fix_steps(by_stage[stage.name], apps)
    warnings = tuple(f"{r.name}: {n}" for r in results for n in r.notes if r.state == "ok")
    elsewhere = tuple(
        f"{f.message} (next: {next_command(f, snapshot)})"
        for f in report.findings
        if _stage_of(f, apps) is None and str(f.severity) == "critical"
    )
    plan = Plan("recover in the runbook's order", tuple(steps), (), warnings)
    return Walk(tuple(results), plan, elsewhere)


def _judge(
    stage: Stage, findings: list[Finding], report: Report, snapshot: Snapshot, result: StageResult
) -> None:
    apps = {a["metadata"]["name"]: a for a in snapshot.items(APPS) or []}
    critical = [
        f for f in findings if f.check_name not in AUTO_FIXED and str(f.severity) == "critical"
    ]
    if stage.name == "Vault" and not critical:
        # A replica that could not be read may be sealed or gone: never "ok", whatever warnings
        # the readable ones gave.
        unknown = [u for u in report.unknowns if u.area == "vault"]
        if unknown:
            result.state = "needs a person"
            kind, _, rest = (unknown[0].object or "").partition("/")
            namespace, _, pod = rest.rpartition("/")
            which = f" ({pod})" if kind == "Pod" else ""
            result.notes.append(f"Vault's state could not be read{which}: {unknown[0].reason}")
            result.notes += [f.message for f in findings]
            # `labctl vault status` reads through the same proxy; the pod says why it cannot.
            result.next_command = (
                f"labctl troubleshoot pod {pod} -n {namespace}"
                if kind == "Pod"
                else "labctl vault status"
            )
            return
    if critical:
        result.state = "needs a person"
        result.notes += [f.message for f in critical]
        result.next_command = next_command(critical[0], snapshot)
        return
    fixable = [f for f in findings if f.check_name in AUTO_FIXED]
    result.notes += [f.message for f in findings if f.check_name not in AUTO_FIXED]
    running = [
        f
        for f in fixable
        if argocd.AppRow.of(apps[_app_name(f)]).operation in ("running", "pending", "terminating")
    ]
    result.notes += [f"{_app_name(f)}: an operation is running; not syncing it" for f in running]
    if len(running) < len(fixable):
        result.state = "automatic"
        result.notes += [f.message for f in fixable if f not in running]


def _fix_steps(findings: list[Finding], apps: dict[str, Obj]) -> list[Step]:
    steps: list[Step] = []
    for name in sorted({_app_name(f) for f in findings if f.check_name in AUTO_FIXED}):
        app = apps[name]
        if argocd.AppRow.of(app).operation in ("running", "pending", "terminating"):
            continue
        steps += argocd.plan_refresh(app, hard=True).steps
        steps += argocd.plan_sync(app, wait=True, reason="labctl recover").steps
    return steps


def next_command(finding: Finding, snapshot: Snapshot | None = None) -> str:
    """The labctl command a person should run next for a finding."""
    kind, _, rest = finding.object.partition("/")
    namespace, _, name = rest.rpartition("/")
    if finding.check_name == "vault-sealed":
        return f"labctl vault unseal {name}"
    if finding.area == "vault":
        return "labctl vault status"
    commands = {
        "Pod": f"labctl troubleshoot pod {name} -n {namespace}",
        "Node": f"labctl troubleshoot node {name}",
        "Certificate": f"labctl troubleshoot certificate {name} -n {namespace}",
        "PersistentVolumeClaim": f"labctl troubleshoot storage {name} -n {namespace}",
        "Application": f"labctl troubleshoot argocd {name}",
    }
    if kind in WORKLOAD_RESOURCES and snapshot is not None:
        return _pod_command(kind, namespace, name, snapshot)
    return commands.get(kind, finding.hint)


def _pod_command(kind: str, namespace: str, name: str, snapshot: Snapshot) -> str:
    """Troubleshoot a pod of the workload (an unready one first), else describe the workload."""
    from labctl.actions.budgets import selects

    workloads = snapshot.items(WORKLOAD_RESOURCES[kind]) or []
    workload = next((w for w in workloads if _ref(w) == (namespace, name)), {})
    selector = (workload.get("spec") or {}).get("selector")
    pods = [
        p
        for p in snapshot.items("pods") or []
        if selector is not None
        and _ref(p)[0] == namespace
        and selects(selector, p["metadata"].get("labels") or {})
    ]
    pods.sort(key=_ready)
    if pods:
        return f"labctl troubleshoot pod {pods[0]['metadata']['name']} -n {namespace}"
    return f"kubectl describe {kind.lower()} {name} -n {namespace}"


def _ref(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))


def _ready(pod: Obj) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _stage_of(finding: Finding, apps: dict[str, Obj]) -> str | None:
    if finding.area == "vault":
        return "Vault"
    if finding.area == "argocd":
        app = apps.get(_app_name(finding))
        if app is None:
            return None
        destination = ((app.get("spec") or {}).get("destination") or {}).get("namespace", "")
        for stage in STAGES:
            if any(w in _app_name(finding) or w == destination for w in stage.words):
                return stage.name
            if destination in stage.namespaces:
                return stage.name
        return "applications"
    if finding.area == "certificates":
        return "ingress"
    if finding.area in ("workloads", "storage"):
        namespace = finding.object.split("/")[1] if finding.object.count("/") == 2 else ""
        return next((s.name for s in STAGES if namespace in s.namespaces), "applications")
    return None  # nodes, backups, scaling, alerts: shown by `labctl health`, not a stage


def _app_name(finding: Finding) -> str:
    return finding.object.rsplit("/", 1)[-1]
