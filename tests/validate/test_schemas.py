"""Kubernetes schema validation of core objects and CRD validation of custom resources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labctl.platform.components.alerts import prometheus_rules
from labctl.validate import crdschema, kubeschema
from labctl.validate.tree import load_tree
from tests.validate.conftest import write_tree


def _deployment(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
            **spec,
        },
    }


def _schedule(**template: Any) -> dict[str, Any]:
    return {
        "apiVersion": "velero.io/v1",
        "kind": "Schedule",
        "metadata": {"name": "daily", "namespace": "velero"},
        "spec": {"schedule": "0 2 * * *", "template": {"storageLocation": "local", **template}},
    }


def test_valid_core_objects_pass(tmp_path: Path) -> None:
    tree = write_tree(tmp_path, [_deployment(replicas=2)])
    result = kubeschema.validate(tree, "v1.33.4")
    assert result.findings == []
    assert result.checked == 1
    assert result.notes == ["schemas of Kubernetes 1.33 (kubernetes-validate, strict)"]


def test_schema_catches_a_wrong_type_and_an_unknown_field(tmp_path: Path) -> None:
    broken = _deployment(replicas="two")
    broken["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy_"] = "Always"
    result = kubeschema.validate(write_tree(tmp_path, [broken]), "1.33")
    messages = sorted(f.message for f in result.findings)
    assert messages == [
        "spec.replicas: 'two' is not of type 'integer'",
        "spec.template.spec.containers.0: Additional properties are not allowed "
        "('imagePullPolicy_' was unexpected)",
    ]
    assert all(f.where == "tree.yaml#0 Deployment demo/web" for f in result.findings)


def test_unknown_kind_and_removed_api_are_findings(tmp_path: Path) -> None:
    typo = {**_deployment(), "kind": "Deploymnet"}
    removed = {**_deployment(), "apiVersion": "extensions/v1beta1"}
    result = kubeschema.validate(write_tree(tmp_path, [typo, removed]), "1.33")
    assert [f.check for f in result.findings] == ["unknown-kind", "unknown-kind"]


def test_not_yaml_and_not_objects_are_findings(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("key: [unclosed\n")
    (tmp_path / "list.yaml").write_text("- just\n- a list\n")
    result = kubeschema.validate(load_tree(tmp_path))
    assert [f.check for f in result.findings] == ["not-an-object", "not-an-object"]
    assert result.findings[0].message.startswith("bad.yaml: not valid YAML")
    assert result.findings[1].message.startswith("list.yaml#0: not a Kubernetes object")


@pytest.mark.parametrize(
    ("wanted", "used", "noted"),
    [("1.33.2", "1.33", False), ("v1.40.0", "1.37", True), ("1.20", "1.25", True)],
)
def test_picks_the_nearest_shipped_schema_version(wanted: str, used: str, noted: bool) -> None:
    version, note = kubeschema.pick_version(wanted)
    assert version == used
    assert (note is not None) == noted


def test_kubernetes_version_comes_from_the_kubeadm_configuration(tmp_path: Path) -> None:
    kubeadm = {
        "apiVersion": "kubeadm.k8s.io/v1beta4",
        "kind": "ClusterConfiguration",
        "kubernetesVersion": "v1.31.3",
    }
    result = kubeschema.validate(write_tree(tmp_path, [kubeadm, _deployment()]))
    assert result.notes[0] == "schemas of Kubernetes 1.31 (kubernetes-validate, strict)"
    assert "not cluster objects, not checked: kubeadm.k8s.io/v1beta4 ClusterConfiguration" in (
        result.notes
    )
    assert result.checked == 1


def test_custom_resources_pass_their_crd_schema(tmp_path: Path) -> None:
    objects = [_schedule(includedNamespaces=["taskapp"], ttl="720h0m0s")]
    objects += prometheus_rules("monitoring", "https://git.example.com/docs/alerts.md")
    result = crdschema.validate(write_tree(tmp_path, objects))
    assert result.findings == []
    assert result.checked == len(objects)


def test_crd_schema_catches_a_misspelt_field_and_a_wrong_type(tmp_path: Path) -> None:
    broken = _schedule(includedNamespace=["taskapp"], snapshotVolumes="yes")
    result = crdschema.validate(write_tree(tmp_path, [broken]))
    messages = sorted(f.message for f in result.findings)
    assert messages == [
        "spec.template.snapshotVolumes: 'yes' is not of type 'boolean'",
        "spec.template: Additional properties are not allowed ('includedNamespace' was unexpected)",
    ]


def test_crd_schema_rejects_a_version_the_crd_does_not_serve(tmp_path: Path) -> None:
    old = {**_schedule(), "apiVersion": "velero.io/v2"}
    result = crdschema.validate(write_tree(tmp_path, [old]))
    assert [f.check for f in result.findings] == ["unknown-version"]
    assert "served: v1" in result.findings[0].message


def test_every_carried_crd_loads() -> None:
    known = crdschema.known()
    assert ("argoproj.io", "Application") in known
    assert ("monitoring.coreos.com", "PrometheusRule") in known
    assert ("velero.io", "Schedule") in known
    assert len(known) == 20
