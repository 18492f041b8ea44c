"""The recovery walk: stage order, automatic Argo CD fixes, and stopping at the first human step."""

from __future__ import annotations

from labctl.actions.recover import plan_recover
from labctl.checks import run_checks
from labctl.cluster.snapshot import Snapshot
from tests.actions.argo_objects import application
from tests.actions.objects import pod
from tests.support.fake_kube import Obj

ACTIVE = {"initialized": True, "sealed": False, "standby": False, "version": "1.17.6"}
STANDBY = {**ACTIVE, "standby": True}
SEALED = {"initialized": True, "sealed": True, "standby": True, "version": "1.17.6"}
SEAL_OK = {"type": "awskms", "initialized": True, "sealed": False, "storage_type": "raft"}


def snapshot(
    *,
    vault: dict[str, tuple[int, Obj]] | None = None,
    apps: list[Obj] | None = None,
    pods: list[Obj] | None = None,
    certificates: list[Obj] | None = None,
) -> Snapshot:
    if vault is None:
        vault = {"vault-0": (200, ACTIVE), "vault-1": (429, STANDBY), "vault-2": (429, STANDBY)}
    snap = Snapshot(
        resources={
            "applications.argoproj.io": apps or [],
            "pods": pods or [],
            "certificates.cert-manager.io": certificates or [],
            "nodes": [],
            "persistentvolumeclaims": [],
        }
    )
    for name, (status, health) in vault.items():
        snap.extras[f"vault/{name}/sys-health.json"] = health
        snap.extra_statuses[f"vault/{name}/sys-health.json"] = status
        seal = {**SEAL_OK, "sealed": health["sealed"]}
        snap.extras[f"vault/{name}/sys-seal-status.json"] = seal
    return snap


def walk(snap: Snapshot):  # type: ignore[no-untyped-def]
    return plan_recover(snap, run_checks(snap))


def crashing(name: str, namespace: str) -> Obj:
    broken = pod(name, namespace, ready=False)
    broken["status"]["containerStatuses"] = [
        {
            "name": "main",
            "ready": False,
            "restartCount": 9,
            "image": "x",
            "imageID": "",
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        }
    ]
    return broken


def test_a_sealed_vault_stops_the_walk_at_vault() -> None:
    result = walk(
        snapshot(
            vault={"vault-0": (200, ACTIVE), "vault-1": (503, SEALED), "vault-2": (429, STANDBY)},
            apps=[application("taskapp", sync="OutOfSync")],
        )
    )
    stopped = result.stopped_at
    assert stopped is not None and stopped.name == "Vault"
    assert stopped.next_command == "labctl vault unseal vault-1"
    assert [s.state for s in result.stages] == ["needs a person"] + ["not checked"] * 4
    assert result.plan.steps == ()  # nothing after Vault is touched


def test_unreadable_vault_needs_a_person() -> None:
    result = walk(snapshot(vault={}))
    assert result.stopped_at.name == "Vault"
    assert result.stopped_at.next_command == "labctl vault status"


def test_drifted_apps_before_the_human_step_are_refreshed_and_synced() -> None:
    ingress = application("ingress-nginx", sync="OutOfSync")
    taskapp = application("taskapp", health="Degraded")
    result = walk(snapshot(apps=[ingress, taskapp], pods=[crashing("backend-1", "taskapp")]))
    assert [(s.name, s.state) for s in result.stages] == [
        ("Vault", "ok"),
        ("Argo CD", "ok"),
        ("ingress", "automatic"),
        ("monitoring", "ok"),
        ("applications", "needs a person"),
    ]
    assert result.stopped_at.next_command == "labctl troubleshoot pod backend-1 -n taskapp"
    assert [(s.verb, s.name) for s in result.plan.steps] == [
        ("refresh", "ingress-nginx"),
        ("wait", "ingress-nginx"),
        ("sync", "ingress-nginx"),
        ("wait", "ingress-nginx"),
    ]
    assert result.plan.steps[0].body == {
        "metadata": {"annotations": {"argocd.argoproj.io/refresh": "hard"}}
    }


def test_an_app_with_a_running_operation_is_left_alone() -> None:
    busy = application("grafana", sync="OutOfSync", phase="Running")
    result = walk(snapshot(apps=[busy]))
    assert result.stopped_at is None
    assert result.plan.steps == ()
    assert "monitoring: grafana: an operation is running; not syncing it" in result.plan.warnings


def test_a_healthy_cluster_needs_nothing() -> None:
    result = walk(snapshot(apps=[application("vault"), application("taskapp")]))
    assert result.stopped_at is None and result.plan.steps == ()
    assert all(s.state == "ok" for s in result.stages)


def test_an_unavailable_deployment_points_at_its_unready_pod() -> None:
    from tests.actions.objects import deployment

    web = deployment("web", "taskapp", replicas=2)
    web["status"] = {"replicas": 2, "availableReplicas": 0, "readyReplicas": 0}
    ready = pod("web-a", "taskapp", labels={"app": "web"})
    stuck = pod("web-b", "taskapp", labels={"app": "web"}, ready=False, phase="Pending")
    snap = snapshot(pods=[ready, stuck])
    snap.resources |= {"deployments.apps": [web], "statefulsets.apps": [], "daemonsets.apps": []}
    result = walk(snap)
    assert result.stopped_at.name == "applications"
    assert result.stopped_at.next_command == "labctl troubleshoot pod web-b -n taskapp"


def test_critical_findings_outside_the_stages_are_shown() -> None:
    from tests.actions.objects import node

    snap = snapshot()
    snap.resources["nodes"] = [node("k8s-worker05", ready="False")]
    result = walk(snap)
    assert result.stopped_at is None
    (line,) = result.elsewhere
    assert line.startswith("node k8s-worker05 is NotReady")
    assert line.endswith("(next: labctl troubleshoot node k8s-worker05)")


def test_a_vault_warning_does_not_hide_a_replica_that_could_not_be_read() -> None:
    replicas = {f"vault-{i}": (429, STANDBY) for i in range(1, 3)}
    snap = snapshot(vault={"vault-0": (200, ACTIVE), **replicas, "vault-3": (200, ACTIVE)})
    for name in ("sys-health.json", "sys-seal-status.json"):
        del snap.extras[f"vault/vault-3/{name}"]
        snap.gaps[f"vault/vault-3/{name}"] = "400 BadRequest: address not allowed"
    snap.extras["vault/vault-3/sys-seal-status.json"] = None  # read, answered nothing
    result = walk(snap)
    vault = result.stages[0]
    assert vault.state == "needs a person"
    assert vault.notes[0] == (
        "Vault's state could not be read (vault-3): 400 BadRequest: address not allowed"
    )
    assert any("4 Raft voters" in note for note in vault.notes)  # the warning is still shown
    assert vault.next_command == "labctl troubleshoot pod vault-3 -n vault"
