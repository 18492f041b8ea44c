"""`labctl vault configure --spec` on a real OpenBao dev server with the database engine on a real
PostgreSQL: idempotent, reports every item, never prints the password, says what it applied."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml
from typer.testing import CliRunner, Result

from labctl.cli.vault import app
from labctl.vault.configure import Action, configure, load_spec
from labctl.vault.connection import VaultTarget, nodes
from labctl.vault.errors import VaultError
from tests.support.openbao import BaoProcess, call
from tests.support.postgres import PostgresServer

SPEC = Path(__file__).parent / "spec.yaml"


@pytest.fixture
def admin(postgres: PostgresServer, postgres_dsn: str) -> tuple[str, str]:
    """Vault's own PostgreSQL login for this test's database (rotate-root changes its password,
    so never the session's superuser): (user, password)."""
    database = postgres_dsn.rsplit("/", 1)[1]
    user, password = f"vault_{database}", secrets.token_urlsafe(12)
    postgres.psql(f"CREATE ROLE {user} LOGIN CREATEROLE PASSWORD '{password}'")
    return user, password


@pytest.fixture
def spec_file(
    tmp_path: Path, postgres: PostgresServer, postgres_dsn: str, admin: tuple[str, str]
) -> Path:
    """spec.yaml with the connection on the test's PostgreSQL and a CA for Kubernetes auth
    (outside a pod Vault has no service-account CA to fall back on)."""
    spec: dict[str, Any] = yaml.safe_load(SPEC.read_text())
    database = postgres_dsn.rsplit("/", 1)[1]
    url = f"postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{postgres.port}/{database}"
    spec["database"]["connections"][0] |= {"connection_url": url, "username": admin[0]}
    ca = tmp_path / "kube-ca.pem"
    ca.write_bytes(trustme.CA().cert_pem.bytes())
    spec["kubernetes_auth"]["kubernetes_ca_cert_file"] = str(ca)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def run(bao: BaoProcess, spec: Path, password: str, *args: str, token: str = "root") -> Result:
    return CliRunner().invoke(
        app,
        ["configure", "--spec", str(spec), "--address", bao.url, *args],
        env={"VAULT_TOKEN": token, "TASKAPP_DB_ROOT_PASSWORD": password},
    )


def actions(result: Result) -> dict[str, str]:
    rows = [line.split() for line in result.output.splitlines()[1:] if line.strip()]
    return {f"{r[0]}/{r[1]}": r[2] for r in rows if len(r) >= 3}


def read(bao: BaoProcess, path: str, token: str = "root") -> dict[str, Any]:
    data: dict[str, Any] = call(bao.url, "GET", path, token).json()["data"]
    return data


def test_first_run_creates_and_second_run_changes_nothing(
    bao: BaoProcess, spec_file: Path, admin: tuple[str, str]
) -> None:
    first = run(bao, spec_file, admin[1], "--yes")
    assert first.exit_code == 0, first.output
    assert actions(first) == {
        "auth-method/kubernetes": "created",
        "auth-config/kubernetes": "created",
        "secrets-engine/internal": "created",
        "policy/taskapp": "created",
        "kubernetes-role/taskapp-role": "created",
        "secrets-engine/database": "created",
        "database-connection/taskapp-postgres": "created",
        "database-role/taskapp-role": "created",
    }
    assert read(bao, "auth/kubernetes/role/taskapp-role")["token_policies"] == ["taskapp"]
    creds = read(bao, "database/creds/taskapp-role")  # Vault logged in to PostgreSQL with it
    assert creds["username"] and creds["password"]
    second = run(bao, spec_file, admin[1])  # no --yes needed: nothing to change
    assert second.exit_code == 0, second.output
    assert set(actions(second).values()) == {"unchanged"}
    assert admin[1] not in first.output + second.output


def test_the_policy_reads_the_kv_mount_the_spec_creates(
    bao: BaoProcess, spec_file: Path, admin: tuple[str, str]
) -> None:
    assert run(bao, spec_file, admin[1], "--yes").exit_code == 0
    assert read(bao, "sys/mounts/internal")["options"] == {"version": "2"}
    call(bao.url, "POST", "internal/data/database/config", "root", {"data": {"host": "pg"}})
    token = call(bao.url, "POST", "auth/token/create", "root",
                 {"policies": ["taskapp"]}).json()["auth"]["client_token"]  # fmt: skip
    assert read(bao, "internal/data/database/config", token)["data"] == {"host": "pg"}


def test_first_apply_outside_kubernetes_says_what_was_applied(
    bao: BaoProcess, admin: tuple[str, str]
) -> None:
    result = run(bao, SPEC, admin[1], "--yes")  # no CA: Vault looks for its pod's own
    assert result.exit_code == 4
    assert "auth-config kubernetes" in result.output
    assert "serviceaccount/ca.crt" in result.output
    assert "already applied: auth-method kubernetes (created)" in result.output
    mounts = call(bao.url, "GET", "sys/mounts", "root").json()["data"]
    assert "internal/" not in mounts and "database/" not in mounts  # stopped at the failure


def test_changed_role_is_updated_and_password_not_resent(
    bao: BaoProcess, spec_file: Path, admin: tuple[str, str]
) -> None:
    assert run(bao, spec_file, admin[1], "--yes").exit_code == 0
    call(bao.url, "POST", "auth/kubernetes/role/taskapp-role", "root", {"token_ttl": 60})
    call(bao.url, "POST", "database/roles/taskapp-role", "root", {"max_ttl": 3600})
    call(bao.url, "POST", "database/rotate-root/taskapp-postgres", "root")  # only Vault knows it
    result = run(bao, spec_file, admin[1], "--yes")
    assert result.exit_code == 0, result.output
    assert re.search(r"kubernetes-role\s+taskapp-role\s+updated\s+token_ttl\n", result.output)
    assert actions(result)["database-role/taskapp-role"] == "updated"
    assert actions(result)["database-connection/taskapp-postgres"] == "unchanged"
    assert read(bao, "auth/kubernetes/role/taskapp-role")["token_ttl"] == 3600
    assert read(bao, "database/creds/taskapp-role")["username"]  # the rotated password still works


def test_dry_run_and_unconfirmed_runs_write_nothing(
    bao: BaoProcess, spec_file: Path, admin: tuple[str, str]
) -> None:
    dry = run(bao, spec_file, admin[1], "--dry-run")
    assert dry.exit_code == 0 and "dry run" in dry.output
    assert actions(dry)["policy/taskapp"] == "created"
    refused = run(bao, spec_file, admin[1])  # changes pending, no terminal, no --yes
    assert refused.exit_code == 3 and "--yes" in refused.output
    assert "kubernetes/" not in call(bao.url, "GET", "sys/auth", "root").json()["data"]
    assert call(bao.url, "GET", "sys/policies/acl/taskapp", "root").status_code == 404


def test_permission_denied_names_the_fix(
    bao: BaoProcess, spec_file: Path, admin: tuple[str, str]
) -> None:
    call(bao.url, "POST", "sys/policies/acl/only-policies", "root",
         {"policy": 'path "sys/policies/*" { capabilities = ["read", "update"] }'})  # fmt: skip
    token = call(bao.url, "POST", "auth/token/create", "root",
                 {"policies": ["only-policies"]}).json()["auth"]["client_token"]  # fmt: skip
    result = run(bao, spec_file, admin[1], "--yes", token=token)
    assert result.exit_code == 4
    assert "permission denied" in result.output and "policy" in result.output


def test_missing_password_is_named_not_printed(
    bao: BaoProcess, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TASKAPP_DB_ROOT_PASSWORD", raising=False)
    client = nodes(VaultTarget(address=bao.url, timeout=5))[0].hvac("root")
    with pytest.raises(VaultError, match="TASKAPP_DB_ROOT_PASSWORD is empty or unset"):
        configure(client, load_spec(spec_file))


def test_password_file_is_read_at_apply_time(
    bao: BaoProcess, spec_file: Path, admin: tuple[str, str], tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text(admin[1] + "\n")
    spec = load_spec(spec_file)
    connection = spec.database.connections[0].model_copy(
        update={"password_env": None, "password_file": str(secret)}
    )
    spec = spec.model_copy(update={"database": spec.database.model_copy(
        update={"connections": [connection]})})  # fmt: skip
    client = nodes(VaultTarget(address=bao.url, timeout=5))[0].hvac("root")
    changes = configure(client, spec)
    assert {c.action for c in changes} == {Action.CREATED}
    assert read(bao, "database/creds/taskapp-role")["username"]  # Vault connected with it
