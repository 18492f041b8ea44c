"""`build_plan` over clusters at 1.28: steps, removed APIs, charts, skew, backups, nodes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labctl.cluster.snapshot import Snapshot, parse_time
from labctl.kubeversion import Version
from labctl.upgrade.apis import TreeObject
from labctl.upgrade.charts import known_ranges
from labctl.upgrade.plan import PlanError, PlanInputs, UpgradePlan, build_plan
from tests.upgrade import clusters

Obj = dict[str, Any]
RESOURCES = {
    "Node": "nodes",
    "Pod": "pods",
    "PodDisruptionBudget": "poddisruptionbudgets.policy",
    "Job": "jobs.batch",
    "Backup": "backups.velero.io",
    "BackupStorageLocation": "backupstoragelocations.velero.io",
    "FlowSchema": "flowschemas.flowcontrol.apiserver.k8s.io",
    "PriorityLevelConfiguration": "prioritylevelconfigurations.flowcontrol.apiserver.k8s.io",
    "HorizontalPodAutoscaler": "horizontalpodautoscalers.autoscaling",
    "AddressPool": "addresspools.metallb.io",
    "CustomResourceDefinition": "customresourcedefinitions.apiextensions.k8s.io",
}


def snapshot(objects: list[Obj]) -> Snapshot:
    snap = Snapshot(resources={r: [] for r in RESOURCES.values()})
    snap.taken_at = parse_time(clusters.NOW) or snap.taken_at
    for obj in objects:
        snap.resources[RESOURCES[obj["kind"]]].append(obj)
    return snap


def plan_of(
    objects: list[Obj],
    to: str = "1.34",
    tree: list[TreeObject] | None = None,
    ranges: dict[tuple[str, str], str] | None = None,
) -> UpgradePlan:
    inputs = PlanInputs(snapshot(objects), Version.parse(to), tree or [], ranges or known_ranges())
    return build_plan(inputs)


def test_a_clean_cluster_has_six_ready_steps_in_node_order() -> None:
    plan = plan_of(clusters.base())
    assert [s.title for s in plan.steps] == [
        "1.28 -> 1.29",
        "1.29 -> 1.30",
        "1.30 -> 1.31",
        "1.31 -> 1.32",
        "1.32 -> 1.33",
        "1.33 -> 1.34",
    ]
    assert not plan.blocked, plan.blockers
    first = plan.steps[0]
    assert [(n.name, n.role) for n in first.nodes] == [
        ("cp01", "control plane (first)"),
        ("worker01", "worker"),
        ("worker02", "worker"),
    ]
    assert "sudo kubeadm upgrade apply v1.29.x" in first.nodes[0].commands
    assert "sudo kubeadm upgrade node" in first.nodes[1].commands
    assert any("kubelet='1.29.x-*'" in c for c in first.nodes[1].commands)
    assert (
        first.nodes[0]
        .commands[0]
        .endswith("'s|/v1.28/|/v1.29/|' /etc/apt/sources.list.d/kubernetes.list")
    )
    assert plan.steps[3].nodes[1].kubelet == "1.31.x"


def test_flowcontrol_writers_block_the_steps_that_remove_their_version() -> None:
    objects = [
        *clusters.base(),
        clusters.flow_schema("team-a", "flowcontrol.apiserver.k8s.io/v1beta2", "helm"),
        clusters.flow_schema(
            "team-b", "flowcontrol.apiserver.k8s.io/v1beta3", "kubectl-client-side-apply"
        ),
        # The API server's own bootstrap config is rewritten by the new server: not a use.
        clusters.flow_schema(
            "system-leader-election",
            "flowcontrol.apiserver.k8s.io/v1beta3",
            "api-priority-and-fairness-config-producer-v1",
        ),
    ]
    plan = plan_of(objects)
    by_step = {s.target.minor_name: s.blockers for s in plan.steps}
    assert (
        len(by_step["1.29"]) == 1
        and "FlowSchema team-a uses flowcontrol.apiserver.k8s.io/v1beta2" in by_step["1.29"][0]
    )
    assert len(by_step["1.32"]) == 1 and "team-b" in by_step["1.32"][0]
    assert "kubectl-convert" in by_step["1.32"][0]
    assert by_step["1.30"] == by_step["1.31"] == by_step["1.33"] == []


def test_v2beta2_hpa_writers_and_tree_files_are_reported_already_removed() -> None:
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": "backend",
            "namespace": "taskapp",
            "labels": {"app.kubernetes.io/instance": "taskapp"},
            "managedFields": [
                {"manager": "argocd-controller", "apiVersion": "autoscaling/v2beta2"}
            ],
        },
    }
    tree = [
        TreeObject(
            "components/taskapp/resources.yaml", {**hpa, "apiVersion": "autoscaling/v2beta2"}
        )
    ]
    plan = plan_of([*clusters.base(), hpa], tree=tree)
    api = [f for f in plan.before if f.area == "api"]
    assert len(api) == 2 and not any(f.blocks for f in api)
    assert all("already removed in 1.26" in f.message for f in api)
    assert all("components/taskapp/resources.yaml" in f.fix for f in api)
    assert "Argo CD app taskapp" in api[1].fix


def test_metallb_address_pools_block_before_the_first_step() -> None:
    pool = {
        "apiVersion": "metallb.io/v1beta1",
        "kind": "AddressPool",
        "metadata": {"name": "lan", "namespace": "metallb-system"},
        "spec": {"protocol": "layer2", "addresses": ["192.0.2.240-192.0.2.250"]},
    }
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "addresspools.metallb.io"},
        "spec": {"group": "metallb.io", "names": {"kind": "AddressPool"}, "versions": []},
        "status": {"storedVersions": ["v1alpha1", "v1beta1"]},
    }
    plan = plan_of([*clusters.base(), pool, crd])
    blocking = [f for f in plan.before if f.blocks]
    assert {f.message.split(" uses ")[0] for f in blocking} == {
        "AddressPool metallb-system/lan",
        "CustomResourceDefinition addresspools.metallb.io",
    }
    assert any("stored at v1alpha1" in f.message for f in blocking)
    assert plan.blocked


def test_a_chart_whose_kube_version_excludes_the_target_says_what_to_bump_to() -> None:
    app = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "legacy", "namespace": "argocd"},
        "spec": {
            "sources": [
                {
                    "chart": "legacy",
                    "repoURL": "https://charts.example.com",
                    "targetRevision": "1.4.0",
                }
            ]
        },
    }
    ranges = {
        ("legacy", "1.4.0"): ">= 1.20.0-0, < 1.30.0-0",
        ("legacy", "2.0.0"): ">= 1.27.0-0",
        ("legacy", "1.9.0"): ">= 1.26.0-0",
    }
    plan = plan_of(clusters.base(), tree=[TreeObject("apps/legacy.yaml", app)], ranges=ranges)
    by_step = {s.target.minor_name: s.blockers for s in plan.steps}
    assert by_step["1.29"] == []
    (blocker,) = by_step["1.30"]
    assert (
        "legacy 1.4.0 (apps/legacy.yaml): kubeVersion >= 1.20.0-0, < 1.30.0-0 excludes 1.30"
        in blocker
    )
    assert "bump it to 2.0.0 first" in blocker


@pytest.mark.parametrize(
    ("kubelets", "expected"),
    [
        (
            {"worker02": "v1.24.17"},
            "4 minor versions behind kube-apiserver 1.28.15 (at most 2 allowed)",
        ),
        ({"worker01": "v1.29.1"}, "newer than kube-apiserver 1.28.15"),
    ],
)
def test_skew_beyond_the_rules_blocks(kubelets: dict[str, str], expected: str) -> None:
    plan = plan_of(clusters.base(kubelets))
    skew = [f for f in plan.before if f.area == "skew"]
    assert len(skew) >= 1 and skew[0].blocks and expected in skew[0].message


def test_ha_control_planes_apply_once_then_upgrade_node() -> None:
    objects = [
        *clusters.base(),
        clusters.k8s_node("cp02", control_plane=True),
        clusters.static_pod("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.28.15", "cp02"),
    ]
    (step,) = plan_of(objects, to="1.29").steps
    roles = [(n.name, n.role) for n in step.nodes]
    assert roles[:2] == [("cp01", "control plane (first)"), ("cp02", "control plane")]
    assert "sudo kubeadm upgrade node" in step.nodes[1].commands
    # cp01 is done: cp02 must not run `kubeadm upgrade apply` a second time.
    done = [o for o in objects if o["metadata"]["name"] not in ("cp01", "kube-apiserver-cp01")]
    done += [
        clusters.k8s_node("cp01", "v1.29.15", control_plane=True),
        clusters.static_pod("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.29.15"),
    ]
    (step,) = plan_of(done, to="1.29").steps
    assert step.control_plane == "kubeadm upgrade node on the control-plane nodes still behind"
    assert (step.nodes[0].name, step.nodes[0].role) == ("cp02", "control plane")


def test_ha_api_servers_two_minors_apart_break_the_skew_policy() -> None:
    objects = [
        *clusters.base(),
        clusters.static_pod("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.30.2", "cp02"),
    ]
    plan = plan_of(objects, to="1.31")
    assert any("span 1.28 to 1.30" in f.message and f.blocks for f in plan.before)


def test_lagging_kubelets_start_the_path_at_their_version() -> None:
    objects = clusters.base({"worker01": "v1.27.9", "worker02": "v1.27.9"})
    plan = plan_of(objects, to="1.29")
    first = plan.steps[0]
    assert first.title == "1.27 -> 1.28"
    assert first.control_plane == "control plane already at 1.28.15"
    assert [n.name for n in first.nodes] == ["worker01", "worker02"]


def test_missing_or_stale_etcd_snapshot_and_no_backup_block_step_one() -> None:
    objects = [o for o in clusters.base() if o["kind"] not in ("Job", "Backup")]
    plan = plan_of(objects, to="1.29")
    blockers = plan.steps[0].blockers
    assert any("no etcd snapshot" in b and "labctl etcd snapshot" in b for b in blockers)
    assert any("no Completed Velero backup" in b for b in blockers)
    stale = [o for o in clusters.base() if o["kind"] != "Job"] + [
        clusters.etcd_job("2026-11-24T01:00:00Z")
    ]
    (blocker,) = plan_of(stale, to="1.29").steps[0].blockers
    assert "is 2.2 days old (over 24h)" in blocker


def test_the_step_to_etcd_3_6_warns_about_an_old_etcd_3_5() -> None:
    plan = plan_of(clusters.base())
    last = [f for f in plan.steps[-1].findings if "moves etcd to 3.6" in f.message]
    assert len(last) == 1 and not last[0].blocks
    assert "3.5.26 or later" in last[0].message and "3.5.15-0 on cp01" in last[0].message
    assert not any("moves etcd" in f.message for s in plan.steps[:-1] for f in s.findings)


def test_a_pdb_that_blocks_forever_refuses_that_node_s_drain() -> None:
    plan = plan_of([*clusters.base(), *clusters.blocking_pdb()], to="1.29")
    (step,) = plan.steps
    assert [n.name for n in step.nodes if n.blocked] == ["worker02"]
    assert any(
        b.startswith("drain worker02: taskapp/postgres-0 would block the drain forever")
        for b in step.blockers
    )


def test_a_target_that_is_not_newer_is_an_error() -> None:
    with pytest.raises(PlanError, match=r"not newer than the running 1\.28"):
        plan_of(clusters.base(), to="1.28")


def test_pulled_chart_yaml_files_add_kube_version_ranges(tmp_path: Path) -> None:
    chart = tmp_path / "legacy"
    chart.mkdir()
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: legacy\nversion: 1.4.0\nkubeVersion: '< 1.30.0-0'\n"
    )
    ranges = known_ranges(tmp_path)
    assert ranges[("legacy", "1.4.0")] == "< 1.30.0-0"
    assert ranges[("metallb", "0.16.1")] == ">= 1.19.0-0"  # labctl's pins stay
    assert ranges[("alloy", "1.11.1")] == ""  # a pin whose chart sets no kubeVersion


def test_a_crd_using_selectable_fields_is_served_from_1_31() -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget"},
            "versions": [{"name": "v1", "selectableFields": [{"jsonPath": ".spec.color"}]}],
        },
    }
    plan = plan_of(clusters.base(), tree=[TreeObject("components/x/crds.yaml", crd)])
    found = [
        (s.target.minor_name, f.message) for s in plan.steps for f in s.findings if f.area == "crd"
    ]
    assert found == [
        (
            "1.31",
            "CRD widgets.example.com (tree components/x/crds.yaml) uses selectable fields "
            "(CustomResourceFieldSelectors): served from 1.31 on",
        )
    ]


def test_an_argocd_object_whose_tree_file_is_migrated_only_needs_a_sync() -> None:
    live = clusters.flow_schema(
        "team-a", "flowcontrol.apiserver.k8s.io/v1beta2", "argocd-controller"
    )
    live["metadata"]["annotations"] = {
        "argocd.argoproj.io/tracking-id": "platform:flowcontrol/FlowSchema:/team-a"
    }
    # v1beta3: served by 1.28 (v1 only from 1.29), removed by 1.32
    migrated = {
        **live,
        "apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3",
        "metadata": {"name": "team-a"},
    }
    plan = plan_of(
        [*clusters.base(), live], tree=[TreeObject("components/apf/flows.yaml", migrated)]
    )
    step = plan.steps[0]
    api = [f for f in step.findings if f.area == "api"]
    assert len(api) == 1 and not api[0].blocks
    assert (
        "components/apf/flows.yaml already uses flowcontrol.apiserver.k8s.io/v1beta3" in api[0].fix
    )
    (later,) = [f for f in plan.steps[3].findings if f.area == "api"]  # 1.32 removes v1beta3
    assert (
        later.blocks
        and "change apiVersion to flowcontrol.apiserver.k8s.io/v1 in components/apf/flows.yaml"
        in later.fix
    )
    assert "Argo CD app platform" in api[0].fix
