"""What `labctl render` writes for Vault: the distribution's chart, and the snapshot CronJob."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from labctl.config.cluster import ClusterConfig
from labctl.config.load import load_config
from labctl.config.vault_spec import VaultSpec
from labctl.platform.render import files

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cluster.yaml"


@pytest.fixture(scope="module")
def config() -> ClusterConfig:
    return load_config(EXAMPLE)


def docs(tree: dict[str, str], path: str) -> list[dict]:  # type: ignore[type-arg]
    return [d for d in yaml.safe_load_all(tree[path]) if d]


def vault_app(config: ClusterConfig) -> dict:  # type: ignore[type-arg]
    (app,) = docs(files(config), "apps/vault.yaml")
    return app


def test_vault_is_the_default_distribution(config: ClusterConfig) -> None:
    assert config.vault.distribution == "vault"
    source = vault_app(config)["spec"]["sources"][0]
    assert (source["repoURL"], source["chart"]) == ("https://helm.releases.hashicorp.com", "vault")


def test_openbao_renders_its_chart_under_the_same_names(config: ClusterConfig) -> None:
    bao = config.model_copy(update={"vault": config.vault.model_copy(
        update={"distribution": "openbao"})})  # fmt: skip
    source = vault_app(bao)["spec"]["sources"][0]
    assert (source["repoURL"], source["chart"], source["targetRevision"]) == (
        "https://openbao.github.io/openbao-helm", "openbao", "0.29.2")  # fmt: skip
    values = source["helm"]["valuesObject"]
    assert values["fullnameOverride"] == values["nameOverride"] == "vault"
    assert set(values["server"]["extraEnvironmentVars"]) == {"BAO_CACERT", "BAO_TLSCERT",
                                                            "BAO_TLSKEY"}  # fmt: skip
    raft = values["server"]["ha"]["raft"]["config"]
    assert 'path = "/openbao/data"' in raft and "/vault/" not in raft
    assert 'seal "awskms"' in raft  # OpenBao keeps the awskms seal


def test_the_snapshot_cronjob_writes_to_every_backup_target(config: ClusterConfig) -> None:
    tree = files(config)
    objects = docs(tree, "components/vault-snapshot/resources.yaml")
    (cron,) = [o for o in objects if o["kind"] == "CronJob"]
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (save,) = pod["initContainers"]
    assert save["args"][:4] == ["vault", "snapshot", "save", "/snapshots/vault.snap"]
    assert "--kubernetes-role" in save["args"]
    uploads = {c["name"]: c for c in pod["containers"]}
    assert set(uploads) == {f"upload-{t.name}" for t in config.backups.targets}
    for target in config.backups.targets:
        script = uploads[f"upload-{target.name}"]["command"][2]
        assert f"s3://{target.bucket}/{target.prefix}vault-snapshots/" in script
        assert "vault.snap.sha256" in script
    secrets = {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    assert {t.credentials.name for t in config.backups.targets} <= secrets
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"


def test_the_snapshot_role_reads_snapshots_and_nothing_else(config: ClusterConfig) -> None:
    spec = VaultSpec.model_validate(yaml.safe_load(files(config)["vault/vault-spec.yaml"]))
    (policy,) = [p for p in spec.policies if p.name == "vault-snapshot"]
    assert policy.hcl.count("path ") == 1 and '"sys/storage/raft/snapshot"' in policy.hcl
    (role,) = [r for r in spec.kubernetes_auth.roles if r.name == "vault-snapshot"]
    assert role.bound_service_account_names == ["vault-snapshot"]
    assert role.bound_service_account_namespaces == ["vault"]
    assert [kv.path for kv in spec.kv] == ["internal"]  # the taskapp policy reads internal/data
