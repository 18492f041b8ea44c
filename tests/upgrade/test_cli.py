"""`labctl upgrade plan` and `labctl upgrade node` end to end: the homelab snapshot, FakeKube."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from typer.testing import CliRunner

from labctl.cli.main import app
from tests.support.fake_kube import FakeKube, now_iso
from tests.upgrade import clusters


def _usage_code() -> int:
    """Issue 15's table makes usage errors exit 64; before it is merged, Typer's own 2."""
    try:
        return int(importlib.import_module("labctl.cli.exit_codes").EXIT_USAGE)
    except ImportError:
        return 2


EXIT_USAGE = _usage_code()

ROOT = Path(__file__).parents[2]
HOMELAB = ROOT / "examples" / "snapshots" / "homelab"
TREE = ROOT / "examples" / "rendered"
runner = CliRunner()


def labctl(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_homelab_to_1_34_prints_six_steps_and_is_blocked_by_the_postgres_pdb() -> None:
    code, out = labctl(
        "upgrade", "plan", "--to", "1.34", "--snapshot", str(HOMELAB), "--tree", str(TREE)
    )
    assert code == 3, out
    titles = [line for line in out.splitlines() if line.startswith("Step ")]
    assert [t.split(" [")[0] for t in titles] == [
        f"Step {n}: 1.{27 + n} -> 1.{28 + n}" for n in range(1, 7)
    ]
    assert "drain k8s-worker03: taskapp/postgres" in out
    assert "nginx-gateway-fabric 2.6.7 (apps/nginx-gateway.yaml): kubeVersion >= 1.31.0-0" in out
    assert "etcd 3.5.15-0 on k8s-cp01" in out
    assert "sudo kubeadm upgrade apply v1.34.x" in out


def test_json_and_markdown() -> None:
    base = ["upgrade", "plan", "--to", "1.30", "--snapshot", str(HOMELAB)]
    code, out = labctl(*base, "-o", "json")
    assert code == 3
    body = json.loads(out)
    assert [s["to"] for s in body["steps"]] == ["1.29", "1.30"]
    assert body["steps"][0]["nodes"][0]["role"] == "control plane (first)"
    assert body["blocked"] and body["blockers"]
    assert {
        "area": "tree",
        "message": "no tree given: its manifests and chart pins are not checked",
        "blocks": False,
        "fix": "",
    } in body["before"]
    code, out = labctl(*base, "-o", "markdown")
    assert out.startswith("# Kubernetes upgrade 1.28.15 -> 1.30\n")
    assert "## Step 2: 1.29 -> 1.30 (blocked)" in out and "```sh" in out


def test_bad_input_is_a_usage_error() -> None:
    code, out = labctl("upgrade", "plan", "--to", "1.20", "--snapshot", str(HOMELAB))
    assert code == 64 and "not newer than the running 1.28" in out
    code, out = labctl("upgrade", "plan", "--to", "one", "--snapshot", str(HOMELAB))
    assert code == 64 and "not a Kubernetes version" in out


def seed(fake: FakeKube) -> None:
    fake.git_version = "v1.28.15"
    fresh = [o for o in clusters.base() if o["kind"] not in ("Job", "Backup")]
    backup = next(o for o in clusters.velero() if o["kind"] == "Backup")
    backup["status"]["completionTimestamp"] = now_iso()
    fake.add(*fresh, clusters.etcd_job(now_iso()), backup)
    fake.add(
        clusters.flow_schema("team-a", "flowcontrol.apiserver.k8s.io/v1beta2", "helm"),
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": "web-1",
                "namespace": "apps",
                "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}],
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "apps"},
            "spec": {"replicas": 2},
            "status": {"replicas": 2, "availableReplicas": 1},
        },
    )


def test_live_plan_reads_flowcontrol_at_a_served_version(fake: FakeKube, kubeconfig: Path) -> None:
    seed(fake)
    code, out = labctl("upgrade", "plan", "--to", "1.29", "--kubeconfig", str(kubeconfig))
    assert code == 3, out
    assert "FlowSchema team-a uses flowcontrol.apiserver.k8s.io/v1beta2 (removed in 1.29" in out
    assert fake.calls("GET", "/apis/flowcontrol.apiserver.k8s.io/v1beta3/flowschemas")
    # Only what discovery lists is read: no v1 (not served by this 1.28), nothing removed before
    # 1.25 (three minors below the server: the oldest kubelet allowed).
    assert not fake.calls("GET", "/apis/flowcontrol.apiserver.k8s.io/v1/")
    assert not fake.calls("GET", "/apis/apps/v1/replicasets")
    assert not [r for r in fake.requests if r.path.startswith("/apis/extensions")]


def control_plane_at_1_29(fake: FakeKube) -> None:
    """What `kubeadm upgrade apply` and the kubelet packages did on cp01."""
    fake.git_version = "v1.29.15"
    fake.update("Node", "cp01", None, {"status": {"nodeInfo": {"kubeletVersion": "v1.29.15"}}})
    image = {"spec": {"containers": [{"name": "main", "image": "k8s/kube-apiserver:v1.29.15"}]}}
    fake.update("Pod", "kube-apiserver-cp01", "kube-system", image)


def upgrade_node(kubeconfig: Path, *args: str) -> tuple[int, str]:
    return labctl(
        "upgrade",
        "node",
        "worker01",
        "--to",
        "1.29",
        "--yes",
        "--kubeconfig",
        str(kubeconfig),
        "--poll-interval",
        "0.05",
        *args,
    )


def test_node_upgrade_drains_pauses_verifies_uncordons_and_waits(
    fake: FakeKube, kubeconfig: Path
) -> None:
    seed(fake)
    fake.store.pop(("FlowSchema", "", "team-a"))
    code, out = upgrade_node(kubeconfig)
    assert code == 3 and "upgrade the control plane first" in out
    control_plane_at_1_29(fake)
    code, out = upgrade_node(kubeconfig)
    assert code == 0, out
    assert fake.get("Pod", "web-1", "apps") is None  # evicted
    node = fake.get("Node", "worker01")
    assert node is not None and node["spec"]["unschedulable"] is True
    assert "sudo kubeadm upgrade node" in out
    assert "labctl upgrade node worker01 --to 1.29 --continue" in out
    recorded = json.loads(node["metadata"]["annotations"]["platform-lab.dev/upgrade-drained"])
    assert recorded["workloads"] == [{"kind": "Deployment", "name": "web", "namespace": "apps"}]

    # The person ran the commands: the kubelet reports 1.29 and is Ready; the Deployment recovers.
    fake.update("Node", "worker01", None, {"status": {"nodeInfo": {"kubeletVersion": "v1.29.15"}}})
    fake.update("Deployment", "web", "apps", {"status": {"availableReplicas": 2}})
    code, out = upgrade_node(kubeconfig, "--continue")
    assert code == 0, out
    node = fake.get("Node", "worker01")
    assert node is not None and "unschedulable" not in node["spec"]
    assert "platform-lab.dev/upgrade-drained" not in (node["metadata"].get("annotations") or {})
    assert "kubelet v1.29.15, Ready" in out and "2/2 availableReplicas" in out


def test_a_node_that_never_comes_back_ready_times_out(fake: FakeKube, kubeconfig: Path) -> None:
    seed(fake)
    fake.update(
        "Node",
        "worker01",
        None,
        {
            "spec": {"unschedulable": True},
            "status": {
                "nodeInfo": {"kubeletVersion": "v1.29.15"},
                "conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady"}],
            },
        },
    )
    code, out = upgrade_node(kubeconfig, "--continue", "--timeout", "0.3")
    assert code == 5, out
    assert "not Ready (KubeletNotReady)" in out
    node = fake.get("Node", "worker01")
    assert node is not None and node["spec"]["unschedulable"] is True  # never uncordoned


def test_node_upgrade_refuses_a_blocked_step(fake: FakeKube, kubeconfig: Path) -> None:
    seed(fake)  # team-a's FlowSchema is written with v1beta2, removed in 1.29
    code, out = upgrade_node(kubeconfig)
    assert code == 3, out
    assert "FlowSchema team-a" in out
    node = fake.get("Node", "worker01")
    assert node is not None and not node["spec"].get("unschedulable")


def test_node_upgrade_refuses_while_metallb_address_pools_remain(
    fake: FakeKube, kubeconfig: Path
) -> None:
    """Read live: the CRD's storedVersions and the AddressPool itself, at the served version."""
    seed(fake)
    fake.store.pop(("FlowSchema", "", "team-a"))
    control_plane_at_1_29(fake)
    fake.add(
        {
            "apiVersion": "metallb.io/v1beta1",
            "kind": "AddressPool",
            "metadata": {"name": "lan", "namespace": "metallb-system"},
            "spec": {"protocol": "layer2", "addresses": ["192.0.2.240/28"]},
        },
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "addresspools.metallb.io"},
            "spec": {"group": "metallb.io", "names": {"kind": "AddressPool"}, "versions": []},
            "status": {"storedVersions": ["v1beta1"]},
        },
    )
    code, out = upgrade_node(kubeconfig)
    assert code == 3, out
    assert "AddressPool metallb-system/lan uses metallb.io/v1beta1" in out
    assert "CustomResourceDefinition addresspools.metallb.io uses metallb.io/v1beta1" in out
    node = fake.get("Node", "worker01")
    assert node is not None and not node["spec"].get("unschedulable")


def test_node_upgrade_refuses_to_skip_a_minor(fake: FakeKube, kubeconfig: Path) -> None:
    seed(fake)
    code, out = labctl(
        "upgrade", "node", "worker01", "--to", "1.30", "--yes", "--kubeconfig", str(kubeconfig)
    )
    assert code == 3 and "kubeadm skips none" in out


def test_node_dry_run_shows_the_plans_and_changes_nothing(fake: FakeKube, kubeconfig: Path) -> None:
    seed(fake)
    fake.store.pop(("FlowSchema", "", "team-a"))
    control_plane_at_1_29(fake)
    code, out = upgrade_node(kubeconfig, "--dry-run")
    assert code == 0, out
    assert "Step 1: 1.28 -> 1.29 [" in out and "Plan: upgrade node worker01 to 1.29: drain" in out
    assert "evict" in out and "sudo kubeadm upgrade node" in out
    assert not fake.calls("POST") and not fake.calls("PATCH")
    code, out = upgrade_node(kubeconfig, "--continue", "--dry-run")
    assert code == 0 and "Plan: finish the upgrade of node worker01" in out
    assert not fake.calls("PATCH")


def test_a_snapshot_without_any_version_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "nodes.json").write_text('{"apiVersion": "v1", "kind": "List", "items": []}')
    code, out = labctl("upgrade", "plan", "--to", "1.29", "--snapshot", str(tmp_path))
    assert code == EXIT_USAGE and "the API server's version is unknown" in out


def test_docs_upgrade_md_holds_the_homelab_plan_as_the_command_prints_it() -> None:
    code, out = labctl(
        "upgrade",
        "plan",
        "--to",
        "1.34",
        "--snapshot",
        str(HOMELAB),
        "--tree",
        str(TREE),
        "-o",
        "markdown",
    )
    assert code == 3
    nested = "\n".join("##" + line if line.startswith("#") else line for line in out.splitlines())
    doc = (ROOT / "docs" / "upgrade.md").read_text()
    assert nested in doc, "docs/upgrade.md's example is out of date: paste the command's output"


def test_the_offline_plan_refuses_a_drain_that_loses_vault_quorum() -> None:
    """The homelab's two Vault voters tolerate no failure: neither node may be drained."""
    code, out = labctl("upgrade", "plan", "--to", "1.29", "--snapshot", str(HOMELAB))
    assert code == 3
    refused = [line for line in out.splitlines() if "would lose quorum" in line]
    assert any("drain k8s-worker04: evicting vault/vault-1" in line for line in refused)
    assert all("run an odd number of at least 3" in line for line in refused)
