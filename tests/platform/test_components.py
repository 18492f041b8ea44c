"""Structural checks, component by component, on the example's rendered objects."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from labctl.config.cluster import ClusterConfig
from labctl.config.vault_spec import VaultSpec
from labctl.platform.component import Wave
from labctl.platform.components import kubeadm, vault_config
from labctl.platform.render import components, files

Obj = dict[str, Any]


@pytest.fixture(scope="module")
def objects(example_config: ClusterConfig) -> list[Obj]:
    return [d for text in files(example_config).values() for d in yaml.safe_load_all(text) if d]


def find(
    objects: list[Obj], kind: str, name: str | None = None, ns: str | None = None
) -> list[Obj]:
    return [
        o
        for o in objects
        if o.get("kind") == kind
        and (name is None or o["metadata"]["name"] == name)
        and (ns is None or o["metadata"].get("namespace") == ns)
    ]


def one(objects: list[Obj], kind: str, name: str, ns: str | None = None) -> Obj:
    (found,) = find(objects, kind, name, ns)
    return found


def app_values(objects: list[Obj], name: str) -> Obj:
    spec = one(objects, "Application", name, "argocd")["spec"]
    sources = spec.get("sources") or [spec["source"]]
    return next(s["helm"]["valuesObject"] for s in sources if "helm" in s)


# --- Argo CD ----------------------------------------------------------------------------------


def test_every_component_has_an_application_with_automated_bounded_sync(objects: list[Obj]) -> None:
    apps = find(objects, "Application", ns="argocd")
    assert len(apps) == 25  # 24 components and the root
    for app in apps:
        policy = app["spec"]["syncPolicy"]
        assert policy["automated"] == {"prune": True, "selfHeal": True}
        assert 0 < policy["retry"]["limit"] <= 10


def test_chart_sources_are_pinned_to_exact_versions(objects: list[Obj]) -> None:
    pins = {}
    for app in find(objects, "Application", ns="argocd"):
        spec = app["spec"]
        for source in spec.get("sources") or [spec["source"]]:
            if "helm" in source:
                pins[app["metadata"]["name"]] = source["targetRevision"]
    assert pins == {
        "argocd": "10.1.1",
        "vault": "0.34.1",
        "monitoring": "88.5.3",
        "loki": "18.11.0",
        "alloy": "1.11.1",
        "longhorn": "1.12.1",
        "velero": "12.1.0",
        "metallb": "0.16.1",
        "cert-manager": "v1.21.1",
        "nginx-gateway": "2.6.7",
        "calico": "v3.32.1",
        "calico-crds": "v3.32.1",
        "prometheus-operator-crds": "31.0.1",
        "metrics-server": "3.13.1",
        "kubelet-csr-approver": "1.2.14",
        "garage": "v1.2.0",
    }


def test_sync_waves_follow_the_recovery_order(objects: list[Obj]) -> None:
    wave = {
        a["metadata"]["name"]: int(a["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        for a in find(objects, "Application", ns="argocd")
        if a["metadata"]["name"] != "platform-root"
    }
    assert wave["longhorn"] < wave["vault"] < wave["argocd"] < wave["nginx-gateway"]
    assert wave["nginx-gateway"] < wave["monitoring"] < wave["taskapp"]
    assert wave["vault"] == Wave.SECRETS and wave["taskapp"] == max(wave.values())


def test_each_tier_has_a_project_limited_to_its_namespaces(objects: list[Obj]) -> None:
    projects = {p["metadata"]["name"]: p["spec"] for p in find(objects, "AppProject")}
    assert {"security", "gitops", "network", "observability", "applications"} <= set(projects)
    apps = projects["applications"]
    assert [d["namespace"] for d in apps["destinations"]] == ["taskapp"]
    assert apps["clusterResourceWhitelist"] == [{"group": "", "kind": "Namespace"}]
    for app in find(objects, "Application", ns="argocd"):
        assert app["spec"]["project"] in projects


def test_root_application_points_at_the_apps_folder(
    objects: list[Obj], example_config: ClusterConfig
) -> None:
    root = one(objects, "Application", "platform-root", "argocd")
    assert root["spec"]["source"]["path"] == f"{example_config.git.path}/apps"
    health = app_values(objects, "argocd")["configs"]["cm"]
    assert (
        "obj.status.health.status"
        in health["resource.customizations.health.argoproj.io_Application"]
    )


# --- network ----------------------------------------------------------------------------------


def test_metallb_pool_and_l2_advertisement(objects: list[Obj]) -> None:
    pool = one(objects, "IPAddressPool", "platform", "metallb-system")
    assert pool["spec"]["addresses"] == ["192.0.2.200-192.0.2.220"]
    assert one(objects, "L2Advertisement", "platform", "metallb-system")["spec"][
        "ipAddressPools"
    ] == ["platform"]


def test_gateway_terminates_tls_with_the_dns01_wildcard(objects: list[Obj]) -> None:
    gateway = one(objects, "Gateway", "platform", "nginx-gateway")
    https = next(li for li in gateway["spec"]["listeners"] if li["protocol"] == "HTTPS")
    assert https["hostname"] == "*.example.com"
    cert = one(objects, "Certificate", "wildcard-tls", "nginx-gateway")
    assert cert["spec"]["issuerRef"]["name"] == "letsencrypt"
    acme = one(objects, "ClusterIssuer", "letsencrypt")["spec"]["acme"]
    assert acme["solvers"][0]["dns01"]["cloudflare"]["apiTokenSecretRef"] == {
        "name": "cloudflare-api-token",
        "key": "api-token",
    }
    assert (
        app_values(objects, "nginx-gateway")["nginx"]["service"]["loadBalancerIP"] == "192.0.2.200"
    )


def test_cloudflared_reads_its_token_from_a_mounted_secret(objects: list[Obj]) -> None:
    pod = one(objects, "Deployment", "cloudflared", "cloudflared")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "--token" not in container["args"] and "env" not in container
    path = container["args"][container["args"].index("--token-file") + 1]
    (mount,) = container["volumeMounts"]
    assert path == f"{mount['mountPath']}/token"
    (volume,) = pod["volumes"]
    assert volume["secret"]["secretName"] == "cloudflared-token"
    assert ":" in container["image"] and not container["image"].endswith(":latest")


def test_technitium_is_plain_manifests_on_the_configured_ip(objects: list[Obj]) -> None:
    svc = one(objects, "Service", "technitium", "dns")
    assert svc["spec"]["type"] == "LoadBalancer"
    assert svc["metadata"]["annotations"]["metallb.io/loadBalancerIPs"] == "192.0.2.201"
    assert not [a for a in find(objects, "Application", "dns") if "helm" in str(a)]


def test_every_namespace_we_create_denies_by_default(objects: list[Obj]) -> None:
    namespaces = {n["metadata"]["name"] for n in find(objects, "Namespace")}
    denied = {
        p["metadata"]["namespace"]
        for p in find(objects, "NetworkPolicy", "default-deny")
        if p["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    }
    assert namespaces == denied
    assert len(namespaces) >= 11


# --- Vault ------------------------------------------------------------------------------------


def test_vault_is_ha_raft_with_kms_tls_and_injector(objects: list[Obj]) -> None:
    values = app_values(objects, "vault")
    ha = values["server"]["ha"]
    assert ha["enabled"] and ha["replicas"] == 3 and ha["raft"]["enabled"]
    config = ha["raft"]["config"]
    assert (
        'seal "awskms"' in config
        and 'kms_key_id = "00000000-0000-4000-8000-000000000000"' in config
    )
    assert "tls_cert_file" in config and "tls_disable" not in config
    assert config.count("retry_join") == 3
    assert values["injector"]["enabled"] is True and values["global"]["tlsDisable"] is False
    secret_env = {
        e["envName"]: e["secretName"] for e in values["server"]["extraSecretEnvironmentVars"]
    }
    assert secret_env == {
        "AWS_ACCESS_KEY_ID": "vault-aws-kms",
        "AWS_SECRET_ACCESS_KEY": "vault-aws-kms",
    }


def test_vault_spec_file_is_a_valid_spec_with_a_dedicated_account(
    objects: list[Obj], example_config: ClusterConfig
) -> None:
    text = files(example_config)["vault/vault-spec.yaml"]
    spec = VaultSpec.model_validate(yaml.safe_load(text))
    role = next(r for r in spec.kubernetes_auth.roles if r.name == "taskapp-role")
    assert role.bound_service_account_names == ["taskapp-backend"]
    assert role.token_policies == ["taskapp-policy"]
    (db_role,) = spec.database.roles
    assert db_role.default_ttl == "1h"
    revoke = " ".join(db_role.revocation_statements)
    assert "pg_terminate_backend" in revoke and revoke.index("NOLOGIN") < revoke.index("DROP ROLE")
    configmap = one(objects, "ConfigMap", "vault-configure", "vault")
    assert yaml.safe_load(configmap["data"]["vault-spec.yaml"]) == yaml.safe_load(text)


def test_postsync_job_runs_vault_configure_with_the_token_by_reference(objects: list[Obj]) -> None:
    job = one(objects, "Job", "vault-configure", "vault")
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PostSync"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"][:3] == ["vault", "configure", "--spec"]
    token = next(e for e in container["env"] if e["name"] == "VAULT_TOKEN")
    assert token["valueFrom"]["secretKeyRef"]["name"] == "vault-configure-token"


# --- monitoring, logging, backups -------------------------------------------------------------


def test_grafana_password_comes_from_a_secret_and_dashboards_are_configmaps(
    objects: list[Obj],
) -> None:
    grafana = app_values(objects, "monitoring")["grafana"]
    assert grafana["admin"]["existingSecret"] == "grafana-admin"
    assert "adminPassword" not in grafana
    boards = [
        c
        for c in find(objects, "ConfigMap", ns="monitoring")
        if c["metadata"]["labels"].get("grafana_dashboard") == "1"
    ]
    assert sorted(c["metadata"]["name"] for c in boards) == [
        "dashboard-platform",
        "dashboard-taskapp",
    ]


def test_alertmanager_reads_discord_from_the_mounted_secret(objects: list[Obj]) -> None:
    alertmanager = app_values(objects, "monitoring")["alertmanager"]
    assert alertmanager["alertmanagerSpec"]["secrets"] == [
        "alertmanager-discord",
        "alertmanager-heartbeat",
    ]
    text = yaml.safe_dump(alertmanager["config"])
    assert "webhook_url_file: /etc/alertmanager/secrets/alertmanager-discord/webhook-url" in text
    assert "webhook_url:" not in text


def test_alloy_ships_to_loki(objects: list[Obj]) -> None:
    content = app_values(objects, "alloy")["alloy"]["configMap"]["content"]
    assert "loki.source.kubernetes" in content and "loki/api/v1/push" in content


def test_velero_has_a_location_and_a_schedule_per_target(
    objects: list[Obj], example_config: ClusterConfig
) -> None:
    locations = find(objects, "BackupStorageLocation", ns="velero")
    schedules = find(objects, "Schedule", ns="velero")
    targets = [t.name for t in example_config.backups.targets]
    assert sorted(b["metadata"]["name"] for b in locations) == sorted(targets)
    assert sorted(s["spec"]["template"]["storageLocation"] for s in schedules) == sorted(targets)
    assert [b["metadata"]["name"] for b in locations if b["spec"]["default"]] == ["garage-onsite"]
    for bsl in locations:
        assert set(bsl["spec"]["credential"]) == {"name", "key"}
    for schedule in schedules:
        assert {"taskapp", "vault", "argocd", "dns"} <= set(
            schedule["spec"]["template"]["includedNamespaces"]
        )


def test_logs_and_the_backup_store_are_left_out_of_backups_with_a_reason(
    objects: list[Obj],
) -> None:
    # Loki's logs are a rolling window; Garage is the store Velero writes to (not into itself).
    for ns in ("logging", "garage"):
        annotations = one(objects, "Namespace", ns)["metadata"].get("annotations") or {}
        assert annotations.get("platform-lab.dev/backup-excluded", "").strip()
        for schedule in find(objects, "Schedule", ns="velero"):
            assert ns not in schedule["spec"]["template"]["includedNamespaces"]


# --- TaskApp ----------------------------------------------------------------------------------


def test_hpas_follow_the_runbook_table(objects: list[Obj]) -> None:
    bounds = {}
    for hpa in find(objects, "HorizontalPodAutoscaler", ns="taskapp"):
        targets = {
            m["resource"]["name"]: m["resource"]["target"]["averageUtilization"]
            for m in hpa["spec"]["metrics"]
        }
        bounds[hpa["metadata"]["name"]] = (
            hpa["spec"]["minReplicas"],
            hpa["spec"]["maxReplicas"],
            targets,
        )
    assert bounds == {
        "taskapp-backend": (2, 10, {"cpu": 70, "memory": 80}),
        "taskapp-frontend": (2, 8, {"cpu": 70, "memory": 80}),
    }


def test_no_pdb_can_block_a_drain(objects: list[Obj]) -> None:
    pdbs = find(objects, "PodDisruptionBudget")
    assert {p["metadata"]["name"] for p in pdbs} >= {
        "taskapp-backend",
        "taskapp-frontend",
        "postgres",
    }
    for pdb in pdbs:
        assert "minAvailable" not in pdb["spec"] and pdb["spec"]["maxUnavailable"] >= 1


def test_workloads_have_probes_resources_and_restricted_security(objects: list[Obj]) -> None:
    workloads = find(objects, "Deployment", ns="taskapp") + find(
        objects, "StatefulSet", ns="taskapp"
    )
    assert len(workloads) == 3
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            assert container["livenessProbe"] and container["readinessProbe"]
            assert container["resources"]["requests"] and container["resources"]["limits"]
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False and security["capabilities"] == {
                "drop": ["ALL"]
            }
    backend = one(objects, "Deployment", "taskapp-backend", "taskapp")["spec"]["template"]["spec"]
    (container,) = backend["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_backend_gets_vault_credentials_in_the_format_taskapp_reads(objects: list[Obj]) -> None:
    from taskapp.credentials import parse

    backend = one(objects, "Deployment", "taskapp-backend", "taskapp")["spec"]["template"]
    annotations = backend["metadata"]["annotations"]
    assert annotations["vault.hashicorp.com/role"] == vault_config.ROLE
    template = annotations["vault.hashicorp.com/agent-inject-template-db-creds"]
    assert 'export DATABASE_USER="{{ .Data.username }}"' in template
    assert 'export DATABASE_PASSWORD="{{ .Data.password }}"' in template
    rendered = 'export DATABASE_USER="v-kubernet-taskapp-x-1"\nexport DATABASE_PASSWORD="p"'
    assert parse(rendered).user == "v-kubernet-taskapp-x-1"
    env = {e["name"]: e.get("value") for e in backend["spec"]["containers"][0]["env"]}
    assert env["TASKAPP_DATABASE_CREDENTIALS_FILE"] == "/vault/secrets/db-creds"
    assert env["TASKAPP_DATABASE_URL"].startswith("postgresql://postgres.taskapp.svc")
    assert backend["spec"]["serviceAccountName"] == "taskapp-backend"


def test_taskapp_settings_the_manifests_use_exist(objects: list[Obj]) -> None:
    from taskapp.settings import Settings

    fields = {f"TASKAPP_{name.upper()}" for name in Settings.model_fields}
    backend = one(objects, "Deployment", "taskapp-backend", "taskapp")["spec"]["template"]["spec"]
    used = {e["name"] for e in backend["containers"][0]["env"]}
    assert used <= fields


def test_postgres_admits_only_the_backend_and_vault(objects: list[Obj]) -> None:
    policy = one(objects, "NetworkPolicy", "allow-postgres-ingress", "taskapp")
    sources = policy["spec"]["ingress"][0]["from"]
    assert {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "taskapp-backend"}}
    } in sources
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "vault"}}
    } in sources


# --- kubeadm ----------------------------------------------------------------------------------


def test_kubeadm_uses_a_control_plane_endpoint(example_config: ClusterConfig) -> None:
    init = kubeadm.init(example_config)
    cluster = next(d for d in init if d["kind"] == "ClusterConfiguration")
    assert cluster["controlPlaneEndpoint"] == "k8s-api.example.com:6443"
    assert cluster["kubernetesVersion"] == "v1.34.2"
    joins = kubeadm.files(example_config)
    assert len(joins) == 7  # init, the encryption configuration, five workers
    worker = joins["kubeadm/join-k8s-worker01.yaml"][0]
    assert worker["discovery"]["bootstrapToken"]["apiServerEndpoint"] == "k8s-api.example.com:6443"


def test_components_have_unique_names(example_config: ClusterConfig) -> None:
    names = [c.name for c in components(example_config)]
    assert len(names) == len(set(names))


def test_injected_webhook_ca_bundles_are_not_reverted(objects: list[Obj]) -> None:
    for name in ("vault", "cert-manager", "monitoring"):
        spec = one(objects, "Application", name, "argocd")["spec"]
        kinds = {d["kind"] for d in spec["ignoreDifferences"]}
        assert kinds == {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}
        assert "RespectIgnoreDifferences=true" in spec["syncPolicy"]["syncOptions"]
    taskapp = one(objects, "Application", "taskapp", "argocd")["spec"]
    assert "ignoreDifferences" not in taskapp


def test_a_second_control_plane_joins_through_the_endpoint(example_config: ClusterConfig) -> None:
    nodes = list(example_config.nodes)
    nodes[1] = nodes[1].model_copy(update={"roles": ["control-plane"]})
    config = example_config.model_copy(update={"nodes": nodes})
    (join,) = kubeadm.files(config)[f"kubeadm/join-{nodes[1].name}.yaml"]
    assert join["controlPlane"]["localAPIEndpoint"]["advertiseAddress"] == str(nodes[1].ip)
    assert join["controlPlane"]["certificateKey"] == kubeadm.CERT_KEY_PLACEHOLDER
    cluster = next(d for d in kubeadm.init(config) if d["kind"] == "ClusterConfiguration")
    assert cluster["apiServer"]["certSANs"] == sorted(
        ["k8s-api.example.com", str(nodes[0].ip), str(nodes[1].ip)]
    )
