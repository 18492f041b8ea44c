"""The tree syncs on a real cluster: each test pins one defect of issue 11 (the number in its
name) that the tree had, on the example's rendered objects and components."""

from __future__ import annotations

import copy
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from labctl.config.cluster import MIN_KUBERNETES, ClusterConfig
from labctl.config.load import parse_config
from labctl.platform.component import KUBERNETES_FLOORS, Component
from labctl.platform.components import kubeadm
from labctl.platform.render import components, files

from .conftest import EXAMPLE

Obj = dict[str, Any]
MONITORS = re.compile(r"(serviceMonitor|servicemonitor|podMonitor)")


def config_with(**changes: Any) -> ClusterConfig:
    data = copy.deepcopy(yaml.safe_load(EXAMPLE.read_text()))
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[last] = value
    return parse_config(yaml.safe_dump(data))


@pytest.fixture(scope="module")
def parts(example_config: ClusterConfig) -> dict[str, Component]:
    return {c.name: c for c in components(example_config)}


def tree_objects(config: ClusterConfig) -> list[Obj]:
    return [d for text in files(config).values() for d in yaml.safe_load_all(text) if d]


@pytest.fixture(scope="module")
def objects(example_config: ClusterConfig) -> list[Obj]:
    return tree_objects(example_config)


def monitors_enabled(values: Any) -> bool:
    if isinstance(values, dict):
        for key, value in values.items():
            if MONITORS.fullmatch(key) and isinstance(value, dict) and value.get("enabled"):
                return True
            if monitors_enabled(value):
                return True
    return False


def test_1_monitoring_crds_come_a_wave_before_every_monitor(parts: dict[str, Component]) -> None:
    crds = parts["prometheus-operator-crds"]
    users = [
        c
        for c in parts.values()
        if monitors_enabled(c.values)
        or any(o["kind"] in ("ServiceMonitor", "PodMonitor", "PrometheusRule") for o in c.manifests)
    ]
    assert {"cert-manager", "longhorn", "vault", "metallb", "monitoring"} <= {c.name for c in users}
    assert all(c.wave > crds.wave for c in users), [(c.name, c.wave) for c in users]
    assert parts["monitoring"].values["crds"] == {"enabled": False}


def test_2_loki_runs_monolithic_only(parts: dict[str, Component]) -> None:
    values = parts["loki"].values
    assert values["deploymentMode"] == "Monolithic"
    assert all(values[t]["replicas"] == 0 for t in ("backend", "read", "write"))


def test_3_metallb_podmonitor_names_prometheus(parts: dict[str, Component]) -> None:
    prometheus = parts["metallb"].values["prometheus"]
    assert prometheus["podMonitor"]["enabled"]
    assert prometheus["serviceAccount"] == "kube-prometheus-stack-prometheus"
    assert prometheus["namespace"] == parts["monitoring"].namespace


def test_4_each_application_writes_only_where_its_project_allows(
    objects: list[Obj], parts: dict[str, Component]
) -> None:
    projects = {
        p["metadata"]["name"]: {d["namespace"] for d in p["spec"]["destinations"]}
        for p in objects
        if p["kind"] == "AppProject"
    }
    # kube-prometheus-stack's exporter Services and the health CronJob's Role in vault.
    assert {"kube-system", "vault"} <= projects[parts["monitoring"].tier]
    assert "kube-system" in projects[parts["metrics-server"].tier]
    # cert-manager's leader election leases stay in its own namespace.
    assert parts["cert-manager"].values["global"]["leaderElection"]["namespace"] == "cert-manager"
    for obj in objects:
        if obj["kind"] == "Application" and obj["metadata"]["name"] in parts:
            spec = obj["spec"]
            assert spec["destination"]["namespace"] in projects[spec["project"]]


@pytest.mark.parametrize(
    "name",
    # nginxproxies.gateway.nginx.org (~320 KB), applicationsets.argoproj.io (~370 KB), the
    # Prometheus and Calico CRDs: over client-side apply's 262,144-byte annotation limit.
    ["nginx-gateway", "argocd", "prometheus-operator-crds", "calico-crds", "gateway-api-crds"],
)
def test_5_large_crds_apply_server_side(objects: list[Obj], name: str) -> None:
    (app,) = [o for o in objects if o["kind"] == "Application" and o["metadata"]["name"] == name]
    assert "ServerSideApply=true" in app["spec"]["syncPolicy"]["syncOptions"]


def test_6_no_pre_install_hook_runs_before_its_namespace(
    parts: dict[str, Component], objects: list[Obj]
) -> None:
    assert parts["longhorn"].values["preUpgradeChecker"] == {"jobEnabled": False}
    assert parts["nginx-gateway"].values["certGenerator"]["enable"] is False
    assert parts["velero"].values["upgradeCRDs"] is False
    webhooks = parts["monitoring"].values["prometheusOperator"]["admissionWebhooks"]
    assert webhooks["certManager"] == {"enabled": True}
    # cert-manager issues what NGF's cert-generator Job made: the control plane <-> agent TLS.
    secrets = {
        o["spec"]["secretName"]
        for o in objects
        if o["kind"] == "Certificate" and o["metadata"]["namespace"] == "nginx-gateway"
    }
    assert {"server-tls", "agent-tls"} <= secrets


def test_7_kubernetes_below_the_pins_floor_is_refused() -> None:
    assert max(KUBERNETES_FLOORS.values()) == MIN_KUBERNETES
    with pytest.raises(Exception, match=r"1\.29\.4 is below 1\.31.*selectableFields"):
        config_with(cluster__kubernetes_version="1.29.4")


def test_8_kubelet_csr_approver_is_limited_to_the_nodes(
    parts: dict[str, Component], example_config: ClusterConfig
) -> None:
    values = parts["kubelet-csr-approver"].values
    pattern = re.compile(values["providerRegex"])
    assert all(pattern.fullmatch(n.name) for n in example_config.nodes)
    assert not pattern.fullmatch("attacker") and not pattern.fullmatch("k8s-cp01.evil")
    assert values["providerIpPrefixes"] == [str(example_config.cluster.node_network)]
    init = kubeadm.init(example_config)
    kubelet = next(d for d in init if d["kind"] == "KubeletConfiguration")
    assert kubelet["serverTLSBootstrap"] is True


def test_9_metrics_server_serves_the_hpas(parts: dict[str, Component]) -> None:
    assert parts["metrics-server"].chart is not None
    assert parts["metrics-server"].wave < parts["taskapp"].wave


def test_10_control_plane_metrics_listen_where_prometheus_scrapes(
    example_config: ClusterConfig,
) -> None:
    init = {d["kind"]: d for d in kubeadm.init(example_config)}
    cluster = init["ClusterConfiguration"]

    def args(part: Obj) -> dict[str, str]:
        return {a["name"]: a["value"] for a in part["extraArgs"]}

    assert args(cluster["controllerManager"])["bind-address"] == "0.0.0.0"
    assert args(cluster["scheduler"])["bind-address"] == "0.0.0.0"
    assert args(cluster["etcd"]["local"])["listen-metrics-urls"] == "http://0.0.0.0:2381"
    assert init["KubeProxyConfiguration"]["metricsBindAddress"] == "0.0.0.0:10249"


def test_11_vault_config_waits_for_the_database(parts: dict[str, Component]) -> None:
    def wave_of(kind: str, name: str) -> int:
        (found,) = [
            c.wave
            for c in parts.values()
            for o in c.manifests
            if o["kind"] == kind and o["metadata"]["name"] == name
        ]
        return found

    database = wave_of("StatefulSet", "postgres")
    assert database < parts["vault-config"].wave < wave_of("Deployment", "taskapp-backend")


def test_12_no_two_synced_objects_share_a_name(example_config: ClusterConfig) -> None:
    synced = [
        d
        for path, text in files(example_config).items()
        if path.startswith(("apps/", "components/"))
        for d in yaml.safe_load_all(text)
        if d
    ]
    keys = Counter(
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in synced
    )
    assert [k for k, n in keys.items() if n > 1] == []


def test_13_garage_is_deployed_for_the_targets_that_say_so(parts: dict[str, Component]) -> None:
    assert parts["garage"].chart is not None
    assert parts["garage"].wave <= parts["velero"].wave
    external = config_with(backups__targets__0__deploy="external")
    assert "garage" not in {c.name for c in components(external)}


@pytest.mark.parametrize(("tls", "scheme"), [(True, "https"), (False, "http")])
def test_14_one_setting_drives_every_vault_client(tls: bool, scheme: str) -> None:
    config = config_with(vault__tls=tls)
    parts = {c.name: c for c in components(config)}
    hcl = parts["vault"].values["server"]["ha"]["raft"]["config"]
    assert ('tls_disable = "true"' in hcl) is not tls
    assert f'"{scheme}://vault-0.vault-internal:8200"' in hcl
    assert parts["vault"].values["global"]["tlsDisable"] is not tls
    text = yaml.safe_dump([o for c in parts.values() for o in c.manifests])
    other = "http" if tls else "https"
    assert f"{scheme}://vault-active.vault.svc:8200" in text
    assert f"{other}://vault-active" not in text
    health = next(o for o in parts["monitoring"].manifests if o["kind"] == "CronJob")["spec"][
        "jobTemplate"
    ]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert health[health.index("--vault-scheme") + 1] == scheme


def test_15_identity_headers_only_through_the_tunnel(objects: list[Obj]) -> None:
    route = next(
        o for o in objects if o["kind"] == "HTTPRoute" and o["metadata"]["name"] == "taskapp"
    )
    for rule in route["spec"]["rules"]:
        (modifier,) = [f for f in rule["filters"] if f["type"] == "RequestHeaderModifier"]
        removed = set(modifier["requestHeaderModifier"]["remove"])
        assert {"Cf-Access-Authenticated-User-Email", "Cf-Access-Jwt-Assertion"} <= removed
    backend_in = next(
        o
        for o in objects
        if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "allow-backend-ingress"
    )
    sources = [
        f["namespaceSelector"]["matchLabels"] for f in backend_in["spec"]["ingress"][0]["from"]
    ]
    assert {"kubernetes.io/metadata.name": "cloudflared"} in sources


def test_16_calico_enforces_the_policies_and_secrets_are_encrypted(
    parts: dict[str, Component], example_config: ClusterConfig
) -> None:
    pools = parts["calico"].values["installation"]["calicoNetwork"]["ipPools"]
    assert [p["cidr"] for p in pools] == [str(example_config.cluster.pod_subnet)]
    assert parts["calico-crds"].wave < parts["calico"].wave
    assert not {"calico", "calico-crds"} & {
        c.name for c in components(config_with(cluster__cni="none"))
    }
    cluster = next(d for d in kubeadm.init(example_config) if d["kind"] == "ClusterConfiguration")
    flags = {a["name"]: a["value"] for a in cluster["apiServer"]["extraArgs"]}
    assert flags["encryption-provider-config"] == kubeadm.ENCRYPTION_FILE
    (encryption,) = kubeadm.files(example_config)["kubeadm/encryption-config.yaml"]
    assert encryption["resources"][0]["resources"] == ["secrets"]
    assert "identity" not in encryption["resources"][0]["providers"][0]  # encrypts first


def test_16_validate_warns_when_the_tree_brings_no_cni(tmp_path: Path) -> None:
    from labctl.platform.render import render
    from labctl.validate import xref
    from labctl.validate.tree import load_tree

    render(config_with(cluster__cni="none"), tmp_path / "none")
    render(config_with(cluster__cni="calico"), tmp_path / "calico")
    (note,) = [n for n in xref.validate(load_tree(tmp_path / "none")).notes if "CNI" in n]
    assert "NetworkPolicies are enforced only if the CNI you installed enforces them" in note
    assert not [n for n in xref.validate(load_tree(tmp_path / "calico")).notes if "CNI" in n]


def test_17_gateway_api_crds_match_nginx_gateway_fabric(objects: list[Obj]) -> None:
    app = next(
        o
        for o in objects
        if o["kind"] == "Application" and o["metadata"]["name"] == "gateway-api-crds"
    )
    assert app["spec"]["source"]["targetRevision"] == "v1.5.1"


def test_18_backups_are_consistent(parts: dict[str, Component]) -> None:
    postgres = next(o for o in parts["taskapp-db"].manifests if o["kind"] == "StatefulSet")
    annotations = postgres["spec"]["template"]["metadata"]["annotations"]
    assert "data" in annotations["backup.velero.io/backup-volumes-excludes"].split(",")
    assert "pg_dump" in annotations["pre.hook.backup.velero.io/command"]
    assert annotations["pre.hook.backup.velero.io/on-error"] == "Fail"
    vault = parts["vault"].values["server"]["annotations"]
    assert vault["backup.velero.io/backup-volumes-excludes"] == "data"


def test_19_issuers_wait_for_the_webhook_and_the_watchdog_reaches_out(
    parts: dict[str, Component],
) -> None:
    issuers = parts["cluster-issuers"]
    assert {o["kind"] for o in issuers.manifests} == {"ClusterIssuer", "Certificate"}
    assert not any(o["kind"] == "ClusterIssuer" for o in parts["cert-manager"].manifests)
    assert parts["cert-manager"].wave < issuers.wave < parts["vault"].wave
    config = parts["monitoring"].values["alertmanager"]["config"]
    (watchdog,) = [r for r in config["receivers"] if r["name"] == "watchdog"]
    assert watchdog["webhook_configs"][0]["url_file"].endswith("alertmanager-heartbeat/url")
