"""`labctl vault configure --spec`: idempotent, reports every item, never prints the password."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from labctl.cli.vault import app
from labctl.vault.configure import Action, configure, load_spec
from labctl.vault.connection import VaultTarget, nodes
from labctl.vault.errors import VaultError
from tests.support.fake_vault import FakeVault

SPEC = Path(__file__).parent / "spec.yaml"
PASSWORD = "s3cr3t-root-password"


def run(vault: FakeVault, *args: str, token: str | None = None) -> Result:
    return CliRunner().invoke(
        app,
        ["configure", "--spec", str(SPEC), "--address", vault.url, *args],
        env={"VAULT_TOKEN": token or vault.root_token, "TASKAPP_DB_ROOT_PASSWORD": PASSWORD},
    )


def actions(result: Result) -> dict[str, str]:
    rows = [line.split() for line in result.output.splitlines()[1:] if line.strip()]
    return {f"{r[0]}/{r[1]}": r[2] for r in rows if len(r) >= 3}


@pytest.fixture
def vault() -> Iterator[FakeVault]:
    with FakeVault() as server:
        yield server


def test_first_run_creates_and_second_run_changes_nothing(vault: FakeVault) -> None:
    first = run(vault, "--yes")
    assert first.exit_code == 0, first.output
    assert actions(first) == {
        "policy/taskapp": "created",
        "auth-method/kubernetes": "created",
        "auth-config/kubernetes": "created",
        "kubernetes-role/taskapp-role": "created",
        "secrets-engine/database": "created",
        "database-connection/taskapp-postgres": "created",
        "database-role/taskapp-role": "created",
    }
    assert vault.db_passwords == {"database/taskapp-postgres": PASSWORD}
    assert vault.auth_roles["kubernetes"]["taskapp-role"]["token_policies"] == ["taskapp"]
    writes = len([c for c in vault.requests if c.method in ("PUT", "POST")])
    second = run(vault)  # no --yes needed: nothing to change
    assert second.exit_code == 0, second.output
    assert set(actions(second).values()) == {"unchanged"}
    assert len([c for c in vault.requests if c.method in ("PUT", "POST")]) == writes
    assert PASSWORD not in first.output + second.output


def test_changed_role_is_updated_and_password_not_resent(vault: FakeVault) -> None:
    assert run(vault, "--yes").exit_code == 0
    vault.auth_roles["kubernetes"]["taskapp-role"]["token_ttl"] = 60
    vault.db_roles["database"]["taskapp-role"]["max_ttl"] = 3600
    vault.db_passwords["database/taskapp-postgres"] = "rotated-by-vault"
    result = run(vault, "--yes")
    assert result.exit_code == 0, result.output
    assert re.search(r"kubernetes-role\s+taskapp-role\s+updated\s+token_ttl\n", result.output)
    assert actions(result)["database-role/taskapp-role"] == "updated"
    assert actions(result)["database-connection/taskapp-postgres"] == "unchanged"
    assert vault.auth_roles["kubernetes"]["taskapp-role"]["token_ttl"] == 3600
    assert vault.db_passwords["database/taskapp-postgres"] == "rotated-by-vault"


def test_dry_run_and_unconfirmed_runs_write_nothing(vault: FakeVault) -> None:
    dry = run(vault, "--dry-run")
    assert dry.exit_code == 0 and "dry run" in dry.output
    assert actions(dry)["policy/taskapp"] == "created"
    refused = run(vault)  # changes pending, no terminal, no --yes
    assert refused.exit_code == 3 and "--yes" in refused.output
    assert not [c for c in vault.requests if c.method in ("PUT", "POST")]


def test_permission_denied_names_the_fix(vault: FakeVault) -> None:
    result = run(vault, "--yes", token=vault.token_for("sys/policies/"))
    assert result.exit_code == 4
    assert "permission denied" in result.output and "policy" in result.output


def test_missing_password_is_named_not_printed(
    vault: FakeVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TASKAPP_DB_ROOT_PASSWORD", raising=False)
    client = nodes(VaultTarget(address=vault.url, timeout=2))[0].hvac(vault.root_token)
    with pytest.raises(VaultError, match="TASKAPP_DB_ROOT_PASSWORD is empty or unset"):
        configure(client, load_spec(SPEC))


def test_password_file_is_read_at_apply_time(vault: FakeVault, tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    spec = load_spec(SPEC)
    connection = spec.database.connections[0].model_copy(
        update={"password_env": None, "password_file": str(secret)}
    )
    spec = spec.model_copy(update={"database": spec.database.model_copy(
        update={"connections": [connection]})})  # fmt: skip
    client = nodes(VaultTarget(address=vault.url, timeout=2))[0].hvac(vault.root_token)
    changes = configure(client, spec)
    assert {c.action for c in changes} == {Action.CREATED}
    assert vault.db_passwords["database/taskapp-postgres"] == PASSWORD
