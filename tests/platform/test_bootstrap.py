"""`labctl bootstrap` against the loopback fake API server: the plan, the calls, the waits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from labctl.actions.plan import ActionFailed, Executor, PlanTimeout, Retry
from labctl.cli.main import app
from labctl.cluster.client import ClusterTarget, connect
from labctl.config.cluster import ClusterConfig
from labctl.platform import bootstrap
from labctl.platform.render import render
from tests.support.fake_kube import FakeKube

APP_NAMES_MIN = 10


@pytest.fixture
def fake() -> Iterator[FakeKube]:
    with FakeKube() as server:
        yield server


@pytest.fixture
def tree_dir(example_config: ClusterConfig, tmp_path: Path) -> Path:
    render(example_config, tmp_path / "tree")
    return tmp_path / "tree"


@pytest.fixture
def argocd_only_tree(example_config: ClusterConfig, tmp_path: Path) -> Path:
    """The tree with `cni: none`: bootstrap starts at Argo CD (no Calico Job to wait for)."""
    from labctl.config.load import parse_config

    data = example_config.model_dump(mode="json")
    data["cluster"]["cni"] = "none"
    render(parse_config(yaml.safe_dump(data)), tmp_path / "tree")
    return tmp_path / "tree"


def healthy_app(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {"project": "x"},
        "status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}},
    }


def available(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {"selector": {"matchLabels": {"a": name}}, "template": {}},
        "status": {"availableReplicas": 1, "replicas": 1},
    }


def ready_node(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }


class Controllers:
    """Plays the Job controller, the Deployment controller and Argo CD between polls."""

    def __init__(self, fake: FakeKube, names: list[str]) -> None:
        self.fake, self.names, self.ticks = fake, names, 0

    def __call__(self, seconds: float) -> None:
        self.ticks += 1
        calico = self.fake.get("Job", "calico-installer", "tigera-operator")
        if calico and not (calico.get("status") or {}).get("succeeded"):
            self.fake.update(
                "Job", "calico-installer", "tigera-operator", {"status": {"succeeded": 1}}
            )
            self.fake.add(ready_node("k8s-cp01"))
            coredns = available("coredns")
            coredns["metadata"]["namespace"] = "kube-system"
            self.fake.add(coredns)
            self.ticks = 0
        elif self.fake.get("Job", "argocd-installer", "argocd") and self.ticks == 1:
            self.fake.update("Job", "argocd-installer", "argocd", {"status": {"succeeded": 1}})
            self.fake.add(*(available(d) for d in bootstrap.ARGOCD_DEPLOYMENTS))
        elif self.ticks >= 3:
            for name in self.names:
                if self.fake.get("Application", name, "argocd") is None:
                    self.fake.add(healthy_app(name))
                else:
                    self.fake.update(
                        "Application", name, "argocd", {"status": healthy_app(name)["status"]}
                    )


def test_read_tree_lists_every_application(tree_dir: Path) -> None:
    layout = bootstrap.read_tree(tree_dir)
    assert layout.applications[0] == "platform-root"
    assert {"vault", "argocd", "taskapp", "velero"} <= set(layout.applications)
    assert [o["kind"] for o in layout.root] == ["AppProject", "Application"]


def test_plan_installs_calico_then_argocd_then_the_root(tree_dir: Path) -> None:
    plan = bootstrap.plan_bootstrap(bootstrap.read_tree(tree_dir), set(), argocd_running=False)
    verbs = [(s.verb, s.kind, s.name) for s in plan.steps]
    assert verbs[0] == ("create", "Namespace", "tigera-operator")
    nodes_at = verbs.index(("wait", "Node", "*"))
    assert verbs.index(("wait", "Job", "calico-installer")) < nodes_at
    assert nodes_at < verbs.index(("create", "Namespace", "argocd"))
    assert verbs.index(("delete", "ClusterRoleBinding", "calico-installer")) > nodes_at
    assert ("create", "Job", "argocd-installer") in verbs
    job_at = verbs.index(("wait", "Job", "argocd-installer"))
    root_at = verbs.index(("create", "Application", "platform-root"))
    unbind_at = verbs.index(("delete", "ClusterRoleBinding", "argocd-installer"))
    assert job_at < unbind_at < root_at
    assert verbs[-1] == ("wait", "Application", "*")


def test_plan_skips_the_install_when_argocd_runs(tree_dir: Path) -> None:
    layout = bootstrap.read_tree(tree_dir)
    existing = {("Application", "argocd", "platform-root")}
    plan = bootstrap.plan_bootstrap(layout, existing, argocd_running=True, calico_running=True)
    assert [s.kind for s in plan.steps] == ["AppProject", "Application", "Application"]
    assert plan.steps[1].verb == "update"
    assert any("already runs" in w for w in plan.warnings)
    assert any("push the rendered tree there first" in w for w in plan.warnings)


def test_bootstrap_applies_waits_and_cleans_up(
    fake: FakeKube, tree_dir: Path, tmp_path: Path
) -> None:
    client = connect(ClusterTarget(kubeconfig=fake.kubeconfig(tmp_path / "kc"), timeout=5))
    layout = bootstrap.read_tree(tree_dir)
    existing, running = bootstrap.read_existing(client, layout)
    assert existing == set() and running is False
    plan = bootstrap.plan_bootstrap(layout, existing, running)
    seen: list[list[dict[str, str]]] = []
    executor = Executor(
        bootstrap.step_applier(client, seen.append),
        sleep=Controllers(fake, layout.applications),
        retry_interval=0.0,
        timeout=30,
    )
    done = executor.run(plan)
    assert done[-1][1] == f"all {len(layout.applications)} Applications Synced and Healthy"
    assert fake.get("ClusterRoleBinding", "argocd-installer") is None
    assert fake.get("ClusterRoleBinding", "calico-installer") is None
    assert fake.get("Application", "platform-root", "argocd")["spec"]["project"] == "platform-root"
    assert fake.get("ConfigMap", "argocd-installer-values", "argocd") is not None
    assert any(r["sync"] == "Missing" for r in seen[0])  # progress was shown while waiting
    posts = [r.path for r in fake.calls("POST")]
    assert posts.index("/api/v1/namespaces") < posts.index("/apis/batch/v1/namespaces/argocd/jobs")


def test_a_failed_install_job_stops_with_its_logs_command(
    fake: FakeKube, tree_dir: Path, tmp_path: Path
) -> None:
    client = connect(ClusterTarget(kubeconfig=fake.kubeconfig(tmp_path / "kc"), timeout=5))
    layout = bootstrap.read_tree(tree_dir)
    plan = bootstrap.plan_bootstrap(layout, set(), False, calico_running=True)

    def fail(_: float) -> None:
        fake.update(
            "Job",
            "argocd-installer",
            "argocd",
            {
                "status": {
                    "conditions": [
                        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}
                    ]
                }
            },
        )

    with pytest.raises(ActionFailed, match="kubectl -n argocd logs job/argocd-installer"):
        Executor(bootstrap.step_applier(client), sleep=fail, retry_interval=0.0, timeout=30).run(
            plan
        )


def test_waiting_for_applications_times_out(fake: FakeKube, tree_dir: Path, tmp_path: Path) -> None:
    client = connect(ClusterTarget(kubeconfig=fake.kubeconfig(tmp_path / "kc"), timeout=5))
    fake.add(*(available(d) for d in bootstrap.ARGOCD_DEPLOYMENTS))
    layout = bootstrap.read_tree(tree_dir)
    existing, running = bootstrap.read_existing(client, layout)
    plan = bootstrap.plan_bootstrap(layout, existing, running, calico_running=True)
    clock = iter(range(0, 10_000, 10))
    executor = Executor(
        bootstrap.step_applier(client), sleep=lambda _: None, retry_interval=0.0, timeout=25,
        clock=lambda: float(next(clock)),
    )  # fmt: skip
    with pytest.raises(PlanTimeout, match=r"0/25 ready; waiting for platform-root"):
        executor.run(plan)


def test_cli_bootstrap_dry_run_prints_the_plan(
    fake: FakeKube, tree_dir: Path, tmp_path: Path
) -> None:
    kubeconfig = fake.kubeconfig(tmp_path / "kc")
    result = CliRunner().invoke(
        app, ["bootstrap", str(tree_dir), "--kubeconfig", str(kubeconfig), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "Plan: bootstrap the platform" in result.output
    assert "create  Job argocd/argocd-installer" in result.output
    assert fake.calls("POST") == []


def test_cli_bootstrap_with_yes_finishes_when_everything_is_ready(
    fake: FakeKube, tree_dir: Path, tmp_path: Path
) -> None:
    layout = bootstrap.read_tree(tree_dir)
    fake.add(*(available(d) for d in bootstrap.ARGOCD_DEPLOYMENTS))
    operator = available(bootstrap.CALICO_OPERATOR)
    operator["metadata"]["namespace"] = "tigera-operator"
    fake.add(operator)
    fake.add(*(healthy_app(n) for n in layout.applications if n != "platform-root"))
    fake.add(healthy_app("platform-root"))
    kubeconfig = fake.kubeconfig(tmp_path / "kc")
    args = ["bootstrap", str(tree_dir), "--kubeconfig", str(kubeconfig), "--yes", "--poll", "0"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Argo CD already runs" in result.output
    assert "Calico already runs" in result.output
    assert (
        len(fake.calls("PATCH", "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications")) == 1
    )


def test_cli_bootstrap_without_a_tree_says_render_first(tmp_path: Path, fake: FakeKube) -> None:
    kubeconfig = fake.kubeconfig(tmp_path / "kc")
    result = CliRunner().invoke(
        app, ["bootstrap", str(tmp_path / "nope"), "--kubeconfig", str(kubeconfig)]
    )
    assert result.exit_code == 1
    assert "run `labctl render` first" in result.output


def test_waiting_on_vault_says_how_to_initialize_it(fake: FakeKube, tmp_path: Path) -> None:
    client = connect(ClusterTarget(kubeconfig=fake.kubeconfig(tmp_path / "kc"), timeout=5))
    vault = healthy_app("vault")
    vault["status"]["health"]["status"] = "Progressing"
    fake.add(healthy_app("platform-root"), vault)
    step = bootstrap.plan_bootstrap(
        bootstrap.Tree([], [], ["platform-root", "vault"]), set(), argocd_running=True
    ).steps[-1]
    expected = (
        r"1/2 ready; waiting for vault \(Synced/Progressing\) "
        r"\(Vault waits to be initialized once: kubectl -n vault exec vault-0"
    )
    with pytest.raises(Retry, match=expected):
        bootstrap.step_applier(client)(step)


def test_an_earlier_install_job_is_replaced_not_patched(
    fake: FakeKube, tree_dir: Path, tmp_path: Path
) -> None:
    client = connect(ClusterTarget(kubeconfig=fake.kubeconfig(tmp_path / "kc"), timeout=5))
    layout = bootstrap.read_tree(tree_dir)
    old_job = next(o for o in layout.install if o["kind"] == "Job")
    fake.add({**old_job, "status": {"failed": 4}})
    existing, running = bootstrap.read_existing(client, layout)
    plan = bootstrap.plan_bootstrap(layout, existing, running, calico_running=True)
    step = next(s for s in plan.steps if s.kind == "Job" and s.verb != "wait")
    assert step.verb == "recreate"
    assert bootstrap.step_applier(client)(step) == "replaced"
    assert fake.get("Job", "argocd-installer", "argocd").get("status") in (None, {})
    assert fake.calls("PATCH", "/apis/batch/v1/namespaces/argocd/jobs") == []


def test_a_timeout_while_the_install_job_runs_says_the_binding_is_left(
    fake: FakeKube, argocd_only_tree: Path, tmp_path: Path
) -> None:
    kubeconfig = fake.kubeconfig(tmp_path / "kc")
    args = ["bootstrap", str(argocd_only_tree), "--kubeconfig", str(kubeconfig), "--yes"]
    result = CliRunner().invoke(app, [*args, "--timeout", "0.3", "--poll", "0.1"])
    assert result.exit_code == 5, result.output
    assert "timed out at wait Job argocd/argocd-installer" in result.output
    assert (
        "WARNING: ClusterRoleBinding argocd-installer (cluster-admin) is still in place: the "
        "install Job argocd/argocd-installer still runs with it"
    ) in result.output
    assert "kubectl delete clusterrolebinding argocd-installer" in result.output
    assert fake.get("ClusterRoleBinding", "argocd-installer") is not None
    # The installer Job meets the namespace's PodSecurity (warn: restricted): no Warning.
    assert "Warning:" not in result.output


def test_a_timeout_after_the_install_removes_the_binding(
    fake: FakeKube, argocd_only_tree: Path, tmp_path: Path
) -> None:
    client = connect(ClusterTarget(kubeconfig=fake.kubeconfig(tmp_path / "kc"), timeout=5))
    plan = bootstrap.plan_bootstrap(
        bootstrap.read_tree(argocd_only_tree), set(), argocd_running=False
    )

    def job_succeeds(_: float) -> None:  # and Argo CD's server never becomes available
        fake.update("Job", "argocd-installer", "argocd", {"status": {"succeeded": 1}})

    said: list[str] = []
    executor = Executor(
        bootstrap.step_applier(client), sleep=job_succeeds, retry_interval=0.0, timeout=0.5
    )
    timeout = pytest.raises(PlanTimeout, match="wait Deployment argocd/argocd-server")
    with timeout, bootstrap.installer_cleanup(client, plan, said.append):
        executor.run(plan)
    assert said == [
        "removed ClusterRoleBinding argocd-installer (the installer's cluster-admin): the run "
        "stopped before it would have; labctl bootstrap creates it again if it re-installs"
    ]
    assert fake.get("ClusterRoleBinding", "argocd-installer") is None


def test_a_job_that_breaks_the_namespace_pod_security_is_warned_about(
    fake: FakeKube, argocd_only_tree: Path, tmp_path: Path
) -> None:
    install = argocd_only_tree / bootstrap.INSTALL_FILE
    docs = list(yaml.safe_load_all(install.read_text()))
    job = next(d for d in docs if d and d["kind"] == "Job")
    for container in job["spec"]["template"]["spec"]["containers"]:
        container.pop("securityContext")
    install.write_text(yaml.safe_dump_all(docs))
    kubeconfig = fake.kubeconfig(tmp_path / "kc")
    args = ["bootstrap", str(argocd_only_tree), "--kubeconfig", str(kubeconfig), "--yes"]
    result = CliRunner().invoke(app, [*args, "--timeout", "0.2", "--poll", "0.1"])
    assert 'Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation' in (
        result.output
    )


def test_calico_job_runs_on_the_host_network_before_any_cni(tree_dir: Path) -> None:
    job = next(o for o in bootstrap.read_tree(tree_dir).calico if o["kind"] == "Job")
    pod = job["spec"]["template"]["spec"]
    assert pod["hostNetwork"] is True and pod["dnsPolicy"] == "Default"
    assert {"operator": "Exists"} in pod["tolerations"]  # not-ready nodes
    crds, apply = pod["initContainers"]
    assert "crd.projectcalico.org.v1" in crds["args"] and "--server-side" in apply["args"]
    assert "tigera-operator" in pod["containers"][0]["args"]


def test_no_calico_step_with_cni_none(example_config: ClusterConfig, tmp_path: Path) -> None:
    from labctl.config.load import parse_config

    data = example_config.model_dump(mode="json")
    data["cluster"]["cni"] = "none"
    render(parse_config(yaml.safe_dump(data)), tmp_path / "t")
    plan = bootstrap.plan_bootstrap(bootstrap.read_tree(tmp_path / "t"), set(), False)
    assert not [s for s in plan.steps if "calico" in s.name or s.kind == "Node"]


def test_a_failed_calico_job_names_its_logs(fake: FakeKube, tree_dir: Path, tmp_path: Path) -> None:
    client = connect(ClusterTarget(kubeconfig=fake.kubeconfig(tmp_path / "kc"), timeout=5))
    plan = bootstrap.plan_bootstrap(bootstrap.read_tree(tree_dir), set(), False)
    failed = {"conditions": [{"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}]}

    def fail(_: float) -> None:
        fake.update("Job", "calico-installer", "tigera-operator", {"status": failed})

    expected = "Calico install Job failed .*logs job/calico-installer --all-containers"
    with pytest.raises(ActionFailed, match=expected):
        Executor(bootstrap.step_applier(client), sleep=fail, retry_interval=0.0, timeout=30).run(
            plan
        )
    assert fake.get("Job", "argocd-installer", "argocd") is None  # Argo CD waits for the CNI


def test_argo_cd_adopts_calico_with_the_values_bootstrap_installed(tree_dir: Path) -> None:
    config_map = next(o for o in bootstrap.read_tree(tree_dir).calico if o["kind"] == "ConfigMap")
    installed = yaml.safe_load(config_map["data"]["values.yaml"])
    app = yaml.safe_load((tree_dir / "apps" / "calico.yaml").read_text().split("---\n", 1)[1])
    (source,) = [s for s in app["spec"]["sources"] if "helm" in s]
    job = next(o for o in bootstrap.read_tree(tree_dir).calico if o["kind"] == "Job")
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    assert source["helm"]["valuesObject"] == installed
    assert args[2] == source["helm"]["releaseName"] and source["targetRevision"] in args
