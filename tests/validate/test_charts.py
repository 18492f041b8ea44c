"""`labctl validate --charts`: the fixture charts under fixtures/charts/ are rendered with
Helm's own engine (helm-python-sdk); each reproduces a hazard that a check must find, and a
corrected copy (a value of the chart, or the Application that uses it) must stay quiet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from labctl.cli.main import app as cli
from labctl.validate.runner import Options, Report, run
from tests.validate.conftest import FIXTURES, write_tree

CHARTS = FIXTURES / "charts"
REPO = "https://charts.example.com"
SYNC = ("argocd-sync",)


def application(
    name: str,
    chart: str,
    *,
    wave: int = 0,
    namespace: str | None = None,
    project: str = "lab",
    values: dict[str, Any] | None = None,
    options: list[str] | None = None,
    release: str | None = None,
    repo: str = REPO,
    version: str = "1.0.0",
) -> dict[str, Any]:
    helm: dict[str, Any] = {"releaseName": release or name}
    if values:
        helm["valuesObject"] = values
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": "argocd",
            "annotations": {"argocd.argoproj.io/sync-wave": str(wave)},
        },
        "spec": {
            "project": project,
            "destination": {
                "server": "https://kubernetes.default.svc",
                "namespace": namespace or name,
            },
            "source": {"repoURL": repo, "chart": chart, "targetRevision": version, "helm": helm},
            "syncPolicy": {"syncOptions": options or []},
        },
    }


def project(
    name: str = "lab",
    namespaces: tuple[str, ...] = ("*",),
    cluster: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": ns} for ns in namespaces],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}]
            if cluster is None
            else cluster,
        },
    }


def validate(
    tmp_path: Path, objects: list[dict[str, Any]], only: tuple[str, ...] = SYNC, **options: Any
) -> Report:
    write_tree(tmp_path / "tree", objects)
    opts = Options(charts=True, chart_dir=CHARTS, only=only, **options)
    return run(tmp_path / "tree", opts)


def checks(report: Report) -> list[str]:
    return sorted(f.check for r in report.results for f in r.findings)


def messages(report: Report, check: str) -> list[str]:
    return [f.message for r in report.results for f in r.findings if f.check == check]


def test_a_custom_resource_before_its_crd_stops_the_sync(tmp_path: Path) -> None:
    early = [
        project(),
        application("app", "monitored", wave=0),
        application("crds", "monitoring-crds", wave=1),
    ]
    report = validate(tmp_path, early)
    assert checks(report) == ["crd-before-use"]
    assert (
        "its CRD comes from Application crds in wave 1, after this wave 0"
        in (messages(report, "crd-before-use")[0])
    )
    fixed = [project(), application("app", "monitored", wave=1), *early[2:]]
    fixed[2] = application("crds", "monitoring-crds", wave=0)
    assert checks(validate(tmp_path, fixed)) == []


def test_the_same_wave_needs_skip_dry_run(tmp_path: Path) -> None:
    crds = application("crds", "monitoring-crds", wave=2)
    same = [project(), application("app", "monitored", wave=2), crds]
    assert checks(validate(tmp_path, same)) == ["crd-before-use"]
    skip = ["SkipDryRunOnMissingResource=true"]
    allowed = [project(), application("app", "monitored", wave=2, options=skip), crds]
    assert checks(validate(tmp_path, allowed)) == []


def test_a_custom_resource_whose_crd_nothing_installs_is_a_finding(tmp_path: Path) -> None:
    report = validate(tmp_path, [project(), application("app", "monitored")])
    assert checks(report) == ["crd-missing"]


def test_presync_hooks_into_a_namespace_and_account_made_in_sync(tmp_path: Path) -> None:
    report = validate(tmp_path, [project(), application("jobs", "hooked")])
    assert checks(report) == ["presync-namespace", "presync-service-account"]
    assert (
        "namespace jobs, which the same Application creates only in Sync"
        in (messages(report, "presync-namespace")[0])
    )
    fixed = application(
        "jobs", "hooked", values={"accountIsHook": True}, options=["CreateNamespace=true"]
    )
    assert checks(validate(tmp_path, [project(), fixed])) == []
    # its Helm test hook (an unpinned image) is not part of the sync
    report = validate(tmp_path, [project(), fixed], only=("cross-reference",))
    assert "image-not-pinned" not in checks(report)
    assert "1 Helm hook object(s) left out" in report.results[0].notes[-1]


def test_a_300_kb_crd_needs_server_side_apply(tmp_path: Path) -> None:
    report = validate(tmp_path, [project(), application("big", "bigcrd")])
    assert checks(report) == ["crd-size"]
    size = int(messages(report, "crd-size")[0].split(" bytes")[0].replace(",", ""))
    assert 262_144 < size < 400_000
    fixed = application("big", "bigcrd", options=["ServerSideApply=true"])
    assert checks(validate(tmp_path, [project(), fixed])) == []
    small = application("big", "bigcrd", values={"fields": 100})
    assert checks(validate(tmp_path, [project(), small])) == []


def test_writing_outside_the_project_is_refused(tmp_path: Path) -> None:
    narrow = project(namespaces=("writer",), cluster=[])
    report = validate(tmp_path, [narrow, application("writer", "kube-system-writer")])
    assert checks(report) == ["project-cluster-kind", "project-namespace"]
    assert (
        "into namespace kube-system, not a destination of AppProject lab"
        in (messages(report, "project-namespace")[0])
    )
    assert "rbac.authorization.k8s.io/ClusterRole" in messages(report, "project-cluster-kind")[0]
    wide = project(
        namespaces=("writer", "kube-system"),
        cluster=[{"group": "rbac.authorization.k8s.io", "kind": "ClusterRole"}],
    )
    assert checks(validate(tmp_path, [wide, application("writer", "kube-system-writer")])) == []


def test_kube_version_constraint_and_crd_fields(tmp_path: Path) -> None:
    tree = [project(), application("versioned", "kubeversioned")]
    old = validate(tmp_path, tree, only=("argocd-sync",), kubernetes_version="1.28")
    assert checks(old) == ["crd-field-version", "kube-version"]
    assert (
        "requires kubeVersion >= 1.30.0-0, which Kubernetes 1.28 does not meet"
        in (messages(old, "kube-version")[0])
    )
    assert (
        "sets selectableFields, which Kubernetes 1.28 does not accept"
        in (messages(old, "crd-field-version")[0])
    )
    assert checks(validate(tmp_path, tree, kubernetes_version="1.31.2")) == []


def test_capabilities_are_the_clusters(tmp_path: Path) -> None:
    tree = [
        project(),
        application("versioned", "kubeversioned"),
        application("crds", "monitoring-crds"),
    ]
    report = validate(tmp_path, tree, only=("cross-reference",), kubernetes_version="1.31.2")
    rendered = next(r for r in report.results if r.validator == "charts")
    assert "for Kubernetes v1.31.2" in rendered.notes[0]
    write_tree(tmp_path / "tree", tree)
    from labctl.validate.charts import render_all
    from labctl.validate.tree import load_tree

    objects = render_all(load_tree(tmp_path / "tree"), CHARTS, "1.31.2").manifests
    config = next(m.obj for m in objects if m.kind == "ConfigMap")
    assert config["data"] == {"kube": "v1.31.2", "servicemonitors": "true"}
    assert config["metadata"]["namespace"] == "versioned"  # Argo CD's destination


def test_a_chart_that_fails_to_render_carries_helms_message(tmp_path: Path) -> None:
    report = validate(tmp_path, [project(), application("b", "broken")], only=("cross-reference",))
    assert checks(report) == ["render-failed"]
    assert (
        "broken needs .Values.endpoint, the URL it reports to"
        in (messages(report, "render-failed")[0])
    )
    assert report.exit_code == 1
    fixed = application("b", "broken", values={"endpoint": "https://logs.example.com"})
    assert checks(validate(tmp_path, [project(), fixed], only=("cross-reference",))) == []


def test_duplicates_across_applications(tmp_path: Path) -> None:
    twice = [
        project(),
        application("crds", "monitoring-crds"),
        application("one", "monitored", wave=1, namespace="shared", release="same"),
        application("two", "monitored", wave=1, namespace="shared", release="same"),
    ]
    report = validate(tmp_path, twice)
    assert checks(report) == ["duplicate"]
    assert "ServiceMonitor shared/same" in messages(report, "duplicate")[0]
    twice[3] = application("two", "monitored", wave=1, namespace="shared", release="other")
    assert checks(validate(tmp_path, twice)) == []


KUBEADM = {
    "apiVersion": "kubeadm.k8s.io/v1beta4",
    "kind": "ClusterConfiguration",
    "kubernetesVersion": "v1.34.2",
}


def test_a_scheduler_bound_to_loopback_cannot_be_scraped(tmp_path: Path) -> None:
    tree = [
        project(),
        KUBEADM,
        application("crds", "monitoring-crds"),
        application("mon", "monitored", wave=1, values={"scrapeScheduler": True}),
    ]
    report = validate(tmp_path, tree, only=("cross-reference",))
    assert checks(report) == ["scrape-loopback"]
    assert "scrapes kube-scheduler" in messages(report, "scrape-loopback")[0]
    moved = {
        **KUBEADM,
        "scheduler": {"extraArgs": [{"name": "bind-address", "value": "0.0.0.0"}]},
    }
    tree[1] = moved
    assert checks(validate(tmp_path, tree, only=("cross-reference",))) == []


def test_disabled_dependencies_are_not_rendered(tmp_path: Path) -> None:
    from labctl.validate.charts import render_all
    from labctl.validate.tree import load_tree

    def names(values: dict[str, Any] | None) -> list[str]:
        write_tree(tmp_path / "tree", [project(), application("u", "umbrella", values=values)])
        rendered = render_all(load_tree(tmp_path / "tree"), CHARTS, "1.34.0").manifests
        return sorted(m.name for m in rendered)

    assert names(None) == ["u-main"]
    assert names({"extra": {"enabled": True}}) == ["u-extra", "u-main"]


def test_a_chart_at_another_version_is_not_used(tmp_path: Path) -> None:
    stale = application("m", "monitored", version="2.0.0", repo="http://127.0.0.1:9")
    report = validate(tmp_path, [project(), stale], only=("cross-reference",))
    [message] = messages(report, "chart-unavailable")
    assert "chart monitored 2.0.0 is not in" in message
    assert "monitored-1.0.0 is version 1.0.0" not in message  # NAME-VERSION/ is another pin
    assert "pulling it from http://127.0.0.1:9 failed" in message
    other = application("b", "broken", version="2.0.0", repo="http://127.0.0.1:9")
    [message] = messages(
        validate(tmp_path, [project(), other], only=("cross-reference",)), "chart-unavailable"
    )
    assert f"({CHARTS}/broken is version 1.0.0)" in message


@pytest.mark.parametrize(
    "repo", ["http://127.0.0.1:9", "oci://127.0.0.1:9/charts", "127.0.0.1:9/charts"]
)
def test_a_chart_neither_local_nor_reachable_exits_69(tmp_path: Path, repo: str) -> None:
    root = tmp_path / "tree"
    write_tree(root, [project(), application("gone", "absent", repo=repo)])
    args = ["validate", str(root), "--charts", "--chart-dir", str(CHARTS), "-o", "json"]
    result = CliRunner().invoke(cli, [*args, "--only", "argocd-sync"])
    assert result.exit_code == 69, result.output  # EX_UNAVAILABLE
    report = json.loads(result.stdout)
    [finding] = report["validators"][0]["findings"]
    assert finding["check"] == "chart-unavailable"
    assert (
        f"chart absent 1.0.0 is not in {CHARTS}; pulling it from {repo} failed: "
        in (finding["message"])
    )
    assert "error: chart absent 1.0.0 is not in" in result.stderr


def test_charts_in_name_folders_are_found(tmp_path: Path) -> None:
    report = validate(tmp_path, [project(), application("b", "broken")], only=("cross-reference",))
    assert checks(report) == ["render-failed"]  # found in broken/, then refused by Helm


def test_a_chart_in_git_is_found_by_its_folder_name(tmp_path: Path) -> None:
    def git(values: dict[str, Any] | None = None) -> dict[str, Any]:
        app = application("u", "umbrella", values=values)
        source = app["spec"]["source"]
        del source["chart"]
        source |= {"repoURL": "https://git.example.com/lab.git", "path": "charts/umbrella"}
        source["targetRevision"] = "main"  # a Git ref, not a chart version
        return app

    report = validate(tmp_path, [project(), git()], only=("cross-reference",))
    assert report.chart_objects == 1 and checks(report) == []
    gone = git()
    gone["spec"]["source"]["path"] = "charts/absent"
    [message] = messages(
        validate(tmp_path, [project(), gone], only=("cross-reference",)), "chart-unavailable"
    )
    assert "it is in Git (charts/absent at main), which Helm cannot pull from" in message


def test_an_archive_parameters_and_value_files(tmp_path: Path) -> None:
    import shutil

    import helm_python as helm

    from labctl.validate.charts import render_all
    from labctl.validate.tree import load_tree

    charts = tmp_path / "charts"
    charts.mkdir()
    helm.package(CHARTS / "umbrella-1.0.0", destination=charts)  # umbrella-1.0.0.tgz
    assert [p.name for p in charts.iterdir()] == ["umbrella-1.0.0.tgz"]
    umbrella = application("u", "umbrella")
    umbrella["spec"]["source"]["helm"]["parameters"] = [{"name": "extra.enabled", "value": "true"}]
    write_tree(tmp_path / "tree", [project(), umbrella])
    rendered = render_all(load_tree(tmp_path / "tree"), charts, "1.34.0").manifests
    assert sorted(m.name for m in rendered) == ["u-extra", "u-main"]

    local = tmp_path / "local"
    shutil.copytree(CHARTS / "umbrella-1.0.0", local / "umbrella-1.0.0")
    (local / "umbrella-1.0.0" / "values-extra.yaml").write_text("extra:\n  enabled: true\n")
    umbrella["spec"]["source"]["helm"] = {"valueFiles": ["values-extra.yaml"]}
    write_tree(tmp_path / "tree", [project(), umbrella])
    rendered = render_all(load_tree(tmp_path / "tree"), local, "1.34.0").manifests
    assert sorted(m.name for m in rendered) == ["u-extra", "u-main"]
