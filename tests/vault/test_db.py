"""`labctl vault db`: list, rotate-root and revoke-prefix (confirmed), leases; API errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner, Result

from labctl.cli.vault import app
from tests.support.fake_vault import FakeVault
from tests.vault.cli import run as run_via_proxy
from tests.vault.conftest import VaultCluster


def run(vault: FakeVault, *args: str, token: str | None = None) -> Result:
    return CliRunner().invoke(
        app,
        ["db", *args, "--address", vault.url, "--request-timeout", "1"],
        env={"VAULT_TOKEN": token or vault.root_token},
    )


@pytest.fixture
def vault() -> Iterator[FakeVault]:
    with FakeVault() as server:
        server.mounts["database/"] = {"type": "database", "options": {}}
        server.db_passwords["database/taskapp-postgres"] = "initial"
        url = "postgresql://{{username}}:{{password}}@pg:5432/app"
        connection = {
            "plugin_name": "postgresql-database-plugin",
            "allowed_roles": ["taskapp-role"],
            "connection_details": {"connection_url": url, "username": "vault"},
        }
        role = {"db_name": "taskapp-postgres", "default_ttl": 3600, "max_ttl": 86400}
        server.db_config["database"] = {"taskapp-postgres": connection}
        server.db_roles["database"] = {"taskapp-role": role}
        yield server


def test_list_shows_connections_and_roles_without_passwords(vault: FakeVault) -> None:
    result = run(vault, "list")
    assert result.exit_code == 0, result.output
    assert "taskapp-postgres   postgresql-database-plugin   vault" in result.output
    assert "taskapp-role   taskapp-postgres   3600          86400" in result.output
    assert "initial" not in result.output


def test_rotate_root_needs_confirmation(vault: FakeVault) -> None:
    refused = run(vault, "rotate-root", "taskapp-postgres")
    assert refused.exit_code == 3 and "only Vault knows it" in refused.output
    assert vault.rotated == []
    done = run(vault, "rotate-root", "taskapp-postgres", "--yes")
    assert done.exit_code == 0, done.output
    assert vault.rotated == ["taskapp-postgres"]
    assert vault.db_passwords["database/taskapp-postgres"] not in done.output


def test_leases_of_a_role(vault: FakeVault) -> None:
    issued = sorted(vault.issue_lease("taskapp-role") for _ in range(3))
    vault.issue_lease("other-role")
    result = run(vault, "leases", "taskapp-role", "-o", "json")
    assert result.exit_code == 0, result.output
    assert [line.strip().strip('",') for line in result.output.splitlines()
            if "leaseId" in line] == [f'leaseId": "{lease}' for lease in issued]  # fmt: skip


def test_revoke_prefix_needs_confirmation_and_counts_leases(vault: FakeVault) -> None:
    for _ in range(2):
        vault.issue_lease("taskapp-role")
    kept = vault.issue_lease("other-role")
    refused = run(vault, "revoke-prefix", "taskapp-role")
    assert refused.exit_code == 3 and "Revokes 2 lease(s)" in refused.output
    assert len(vault.leases) == 3
    done = run(vault, "revoke-prefix", "taskapp-role", "--yes")
    assert done.exit_code == 0, done.output
    assert vault.leases == {kept}
    assert vault.calls("POST", "sys/leases/revoke-prefix/database/creds/taskapp-role")


@pytest.mark.parametrize(
    ("status", "words"),
    [(403, "permission denied"), (502, r"Vault failed \(502"), (500, r"Vault failed \(500")],
)
def test_api_errors_are_clear(vault: FakeVault, status: int, words: str) -> None:
    vault.fail(r"sys/leases/lookup/.*", status)
    result = run(vault, "leases", "taskapp-role")
    assert result.exit_code == 4
    assert pytest.importorskip("re").search(words, result.output), result.output


def test_timeout_is_clear(vault: FakeVault) -> None:
    vault.delay = 1.2
    result = run(vault, "leases", "taskapp-role")
    assert result.exit_code == 4 and "no answer" in result.output


def test_db_through_the_pod_proxy_uses_the_active_replica(cluster: VaultCluster) -> None:
    standby, active = FakeVault(standby=True), FakeVault()
    cluster.deploy(standby, active)
    active.mounts["database/"] = {"type": "database", "options": {}}
    active.issue_lease("taskapp-role")
    result = run_via_proxy(cluster, "db", "leases", "taskapp-role", token=active.root_token)
    assert result.exit_code == 0, result.output
    assert "database/creds/taskapp-role/" in result.output
    assert not standby.calls("LIST")
