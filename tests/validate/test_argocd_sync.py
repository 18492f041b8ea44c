"""argocd-sync on trees without charts: directory sources map to the tree's folders, Argo CD
hook annotations and sync options are read as Argo CD reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from labctl.validate import argocd
from labctl.validate.argocd.placement import Sync
from labctl.validate.tree import load_tree

CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "names": {"kind": "Widget", "plural": "widgets"},
        "scope": "Namespaced",
        "versions": [{"name": "v1", "served": True, "storage": True}],
    },
}
CREATE_NAMESPACE = {"syncOptions": ["CreateNamespace=true"]}
WIDGET = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}


def app(name: str, wave: int, path: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "annotations": {"argocd.argoproj.io/sync-wave": str(wave)}},
        "spec": {
            "project": "lab",
            "destination": {"namespace": name},
            "source": {"repoURL": "https://git.example.com/gitops.git", "path": path},
            **spec,
        },
    }


def project(*namespaces: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "lab"},
        "spec": {
            "destinations": [{"namespace": ns} for ns in namespaces],
            "clusterResourceWhitelist": [{"group": "apiextensions.k8s.io", "kind": "*"}],
        },
    }


def tree(root: Path, files: dict[str, list[dict[str, Any]]]) -> Path:
    for name, objects in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(yaml.safe_dump_all(objects))
    return root


def found(root: Path) -> list[str]:
    result = argocd.validate(load_tree(root), "1.34.2", charts_rendered=False)
    return sorted(f.check for f in result.findings)


def test_directory_sources_are_the_tree_folders_their_path_ends_in(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "apps/apps.yaml": [
                project("*"),
                app("widgets", 0, "rendered/components/widgets"),
                app("crds", 1, "rendered/components/crds"),
            ],
            "components/widgets/w.yaml": [WIDGET],
            "components/crds/crd.yaml": [CRD],
        },
    )
    sync = Sync(load_tree(root))
    placed = {p.manifest.kind: (p.app.name, p.namespace) for p in sync.placed}
    assert placed == {"Widget": ("widgets", "widgets"), "CustomResourceDefinition": ("crds", "")}
    assert found(root) == ["crd-before-use"]
    tree(root, {"apps/apps.yaml": [project("*"), app("widgets", 2, "components/widgets")]})
    tree(root, {"apps/more.yaml": [app("crds", 1, "components/crds")]})
    assert found(root) == []


def test_an_argocd_presync_hook_before_its_crd_in_the_same_app(tmp_path: Path) -> None:
    hook = {
        **WIDGET,
        "metadata": {"name": "w", "annotations": {"argocd.argoproj.io/hook": "PreSync"}},
    }
    root = tree(
        tmp_path,
        {
            "apps/a.yaml": [project("*"), app("one", 0, "one", syncPolicy=CREATE_NAMESPACE)],
            "one/all.yaml": [CRD, hook],
        },
    )
    assert found(root) == ["crd-before-use"]
    tree(root, {"one/all.yaml": [CRD, WIDGET]})  # same app, same phase: Argo CD applies CRDs first
    assert found(root) == []


def test_denied_destinations_and_cluster_kinds(tmp_path: Path) -> None:
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "r"},
    }
    root = tree(
        tmp_path,
        {
            "apps/a.yaml": [project("*", "!one"), app("one", 0, "one")],
            "one/all.yaml": [config, role],
        },
    )
    assert found(root) == ["project-cluster-kind", "project-namespace"]


def test_an_objects_own_sync_options_count(tmp_path: Path) -> None:
    big = {
        **CRD,
        "metadata": {
            "name": "widgets.example.com",
            "annotations": {"argocd.argoproj.io/sync-options": "Prune=false, ServerSideApply=true"},
        },
        "spec": {
            **CRD["spec"],
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "description": "x" * 270_000}},
                }
            ],
        },
    }
    root = tree(
        tmp_path, {"apps/a.yaml": [project("*"), app("one", 0, "one")], "one/crd.yaml": [big]}
    )
    assert found(root) == []
    del big["metadata"]["annotations"]
    tree(root, {"one/crd.yaml": [big]})
    assert found(root) == ["crd-size"]


def test_without_charts_an_unknown_crd_is_a_note_not_a_finding(tmp_path: Path) -> None:
    root = tree(
        tmp_path, {"apps/a.yaml": [project("*"), app("one", 0, "one")], "one/w.yaml": [WIDGET]}
    )
    result = argocd.validate(load_tree(root), "1.34.2", charts_rendered=False)
    assert result.findings == []
    assert result.notes == [
        "CRD order not proven for example.com/Widget (1): their CRDs are not in the tree; charts "
        "were not rendered (--charts)"
    ]
    rendered = argocd.validate(load_tree(root), "1.34.2", charts_rendered=True)
    assert [f.check for f in rendered.findings] == ["crd-missing"]
