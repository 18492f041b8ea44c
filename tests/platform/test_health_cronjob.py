"""The in-cluster health CronJob: valid manifests, and RBAC equal to what the collector uses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from labctl.cluster.client import ClusterTarget
from labctl.cluster.collect import CollectSettings, collect
from labctl.platform.components.health_cronjob import HOST_SETUP, manifests, node_exporter_values
from tests.cluster.homelab_fake import serve_homelab
from tests.support.fake_kube import FakeKube, Request

Access = tuple[str, str, str, str | None]  # (apiGroup, resource, verb, namespace)


def _access(request: Request) -> Access | None:
    """What RBAC authorizes for one request, as the API server's RequestInfo would see it."""
    if request.path == "/version":
        return None  # a non-resource URL every authenticated user may read
    match = re.fullmatch(
        r"/(?:api/v1|apis/(?P<group>[^/]+)/[^/]+)"
        r"(?:/namespaces/(?P<ns>[^/]+))?/(?P<resource>[^/]+)(?:/(?P<name>[^/]+)(?P<sub>/proxy)?)?"
        r"(?:/.*)?",
        request.path,
    )
    assert match, request.path
    group, resource = match["group"] or "", match["resource"]
    if match["sub"]:
        return group, f"{resource}/proxy", "get", match["ns"]
    verb = "get" if match["name"] else "list"
    return group, resource, verb, match["ns"]


def _grants(objects: list[dict[str, Any]]) -> set[Access]:
    grants: set[Access] = set()
    for obj in objects:
        if obj["kind"] not in ("ClusterRole", "Role"):
            continue
        namespace = obj["metadata"].get("namespace")
        for rule in obj["rules"]:
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    for verb in rule["verbs"]:
                        grants.add((group, resource, verb, namespace))
    return grants


def _allowed(access: Access, grants: set[Access]) -> bool:
    group, resource, verb, namespace = access
    return (group, resource, verb, None) in grants or (namespace is not None and access in grants)


@pytest.fixture
def fake() -> Iterator[FakeKube]:
    with FakeKube() as server:
        serve_homelab(server)
        yield server


@pytest.mark.parametrize("pvc_usage", [True, False])
def test_roles_allow_exactly_the_calls_the_collector_makes(
    fake: FakeKube, tmp_path: Path, pvc_usage: bool
) -> None:
    objects = manifests("monitoring", "ghcr.io/example/labctl:0.1.0", pvc_usage=pvc_usage)
    grants = _grants(objects)
    target = ClusterTarget(kubeconfig=fake.kubeconfig(tmp_path / "kc"), timeout=10)
    collect(target, CollectSettings(kubelet_stats=pvc_usage))
    used = {a for r in fake.requests if (a := _access(r)) is not None}
    assert all(r.method == "GET" for r in fake.requests)
    denied = [a for a in used if not _allowed(a, grants)]
    assert not denied
    unused = [g for g in grants if not any(_allowed(a, {g}) for a in used)]
    assert not unused
    assert any(g[1] == "nodes/proxy" for g in grants) is pvc_usage


def test_manifests_are_valid_kubernetes_1_28_objects() -> None:
    objects = manifests("monitoring", "ghcr.io/example/labctl:0.1.0", "*/15 * * * *")
    for obj in objects:
        kubernetes_validate.validate(obj, "1.28", strict=True)
    kinds = [o["kind"] for o in objects]
    assert kinds[:3] == ["ServiceAccount", "ClusterRole", "ClusterRoleBinding"]
    assert kinds.count("Role") == 2 and kinds[-1] == "CronJob"


def test_cronjob_writes_prometheus_text_and_never_fails_on_findings() -> None:
    (cron,) = [o for o in manifests("ops", "img:1", "0 * * * *") if o["kind"] == "CronJob"]
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    command = pod["containers"][0]["command"]
    assert command[:4] == ["labctl", "health", "--output", "prometheus"]
    assert "--exit-zero" in command and "--write" in command
    assert pod["serviceAccountName"] == "labctl-health"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert cron["spec"]["schedule"] == "0 * * * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"


def test_the_api_token_is_projected_where_in_cluster_clients_look() -> None:
    (cron,) = [o for o in manifests("ops", "img:1") if o["kind"] == "CronJob"]
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert mounts["api-token"] == "/var/run/secrets/kubernetes.io/serviceaccount"
    (volume,) = [v for v in pod["volumes"] if v["name"] == "api-token"]
    sources = volume["projected"]["sources"]
    assert sources[0]["serviceAccountToken"] == {"path": "token", "expirationSeconds": 600}
    assert sources[1]["configMap"]["items"] == [{"key": "ca.crt", "path": "ca.crt"}]
    assert sources[2]["downwardAPI"]["items"][0]["path"] == "namespace"


def test_node_exporter_reads_the_directory_the_cronjob_writes() -> None:
    values = node_exporter_values()
    (mount,) = values["extraHostVolumeMounts"]
    (cron,) = [o for o in manifests("ops", "img:1") if o["kind"] == "CronJob"]
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (textfile,) = [v for v in pod["volumes"] if v["name"] == "textfile"]
    assert mount["hostPath"] == textfile["hostPath"]["path"] and mount["readOnly"] is True
    assert values["extraArgs"] == [f"--collector.textfile.directory={mount['mountPath']}"]
    assert HOST_SETUP.endswith(textfile["hostPath"]["path"])
