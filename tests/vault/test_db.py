"""`labctl vault db` on a real OpenBao dev server and PostgreSQL: list, rotate-root and
revoke-prefix (confirmed), leases; API errors and timeouts."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from labctl.actions.workloads import RESTARTED_AT
from labctl.cli.vault import app
from tests.support.fake_kube import FakeKube
from tests.support.openbao import BaoProcess, call
from tests.support.postgres import PostgresServer
from tests.vault.database import Engine, enable, logs_in


def run(url: str, *args: str, token: str = "root", timeout: str = "5") -> Result:
    return CliRunner().invoke(
        app,
        ["db", *args, "--address", url, "--request-timeout", timeout],
        env={"VAULT_TOKEN": token},
    )


@pytest.fixture
def engine(bao: BaoProcess, postgres: PostgresServer, postgres_dsn: str) -> Engine:
    return enable(bao, postgres, postgres_dsn)


def can_login(postgres: PostgresServer, engine: Engine, user: str, password: str) -> bool:
    return logs_in(postgres.dsn(engine.database, user, password))


def test_list_shows_connections_and_roles_without_passwords(engine: Engine) -> None:
    result = run(engine.bao.url, "list")
    assert result.exit_code == 0, result.output
    assert re.search(rf"taskapp-postgres\s+postgresql-database-plugin\s+{engine.admin}",
                     result.output)  # fmt: skip
    assert re.search(r"taskapp-role\s+taskapp-postgres\s+3600\s+86400", result.output)
    assert engine.admin_password not in result.output


def test_rotate_root_needs_confirmation(engine: Engine, postgres: PostgresServer) -> None:
    refused = run(engine.bao.url, "rotate-root", "taskapp-postgres")
    assert refused.exit_code == 3 and "only Vault knows it" in refused.output
    assert can_login(postgres, engine, engine.admin, engine.admin_password)
    done = run(engine.bao.url, "rotate-root", "taskapp-postgres", "--yes")
    assert done.exit_code == 0, done.output
    assert not can_login(postgres, engine, engine.admin, engine.admin_password)
    assert engine.creds()["username"]  # Vault still logs in, with the password only it knows


def test_leases_of_a_role(engine: Engine) -> None:
    issued = sorted(engine.creds()["lease_id"] for _ in range(3))
    result = run(engine.bao.url, "leases", "taskapp-role", "-o", "json")
    assert result.exit_code == 0, result.output
    assert re.findall(r'"leaseId": "([^"]+)"', result.output) == issued


def test_revoke_prefix_needs_confirmation_and_counts_leases(
    engine: Engine, postgres: PostgresServer
) -> None:
    users = [engine.creds() for _ in range(2)]
    refused = run(engine.bao.url, "revoke-prefix", "taskapp-role")
    assert refused.exit_code == 3 and "Revokes 2 lease(s)" in refused.output
    assert all(can_login(postgres, engine, u["username"], u["password"]) for u in users)
    done = run(engine.bao.url, "revoke-prefix", "taskapp-role", "--yes")
    assert done.exit_code == 0, done.output
    assert not any(can_login(postgres, engine, u["username"], u["password"]) for u in users)
    assert run(engine.bao.url, "leases", "taskapp-role").output.strip() in ("", "LEASE_ID")


def test_permission_denied_names_the_fix(engine: Engine) -> None:
    token = call(engine.bao.url, "POST", "auth/token/create", "root",
                 {"policies": ["default"]}).json()["auth"]["client_token"]  # fmt: skip
    result = run(engine.bao.url, "leases", "taskapp-role", token=token)
    assert result.exit_code == 4
    assert "permission denied" in result.output and "policy" in result.output


@pytest.fixture
def silent() -> Iterator[str]:
    """A port that accepts connections and never answers (a hung server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_timeout_is_clear(silent: str) -> None:
    result = run(silent, "leases", "taskapp-role", timeout="0.5")
    assert result.exit_code == 4 and "no answer" in result.output


def test_closed_port_and_scheme_mix_up_are_one_line(bao: BaoProcess, silent: str) -> None:
    closed = silent.rsplit(":", 1)[0] + ":1"
    for url, words in ((closed, "connection refused"),
                       (bao.url.replace("http:", "https:"), "is the address http://")):  # fmt: skip
        result = run(url, "list")
        assert result.exit_code == 4, result.output
        assert words in result.output and len(result.output.strip().splitlines()) == 1


def deployment(name: str, replicas: int) -> dict[str, object]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "taskapp", "generation": 1},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": []}}},
        "status": {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                   "availableReplicas": replicas},
    }  # fmt: skip


def test_revoke_prefix_with_rollout_renews_first_and_revokes_only_the_old(
    engine: Engine, postgres: PostgresServer, kube: FakeKube, tmp_path: Path
) -> None:
    old = [engine.creds() for _ in range(2)]  # what the two running pods' agents hold
    kube.add(deployment("taskapp-backend", 2))
    new: list[dict[str, str]] = []

    def controller() -> None:
        # Plays the API server (a template change bumps metadata.generation, which this fake
        # does not do) and the Deployment controller: each new pod's agent gets a new lease.
        while True:
            current = kube.get("Deployment", "taskapp-backend", "taskapp") or {}
            annotations = current["spec"]["template"]["metadata"].get("annotations") or {}
            if RESTARTED_AT in annotations:
                break
            time.sleep(0.05)
        new.extend(engine.creds() for _ in range(2))
        kube.update("Deployment", "taskapp-backend", "taskapp", {
            "metadata": {"generation": 2}, "status": {"observedGeneration": 2}})  # fmt: skip

    thread = threading.Thread(target=controller, daemon=True)
    thread.start()
    result = CliRunner().invoke(app, [
        "db", "revoke-prefix", "taskapp-role", "--rollout", "taskapp/taskapp-backend",
        "--grace", "0", "--poll", "0.1", "--yes", "--address", engine.bao.url,
        "--kubeconfig", str(kube.kubeconfig(tmp_path / "kubeconfig")),
    ], env={"VAULT_TOKEN": "root"})  # fmt: skip
    thread.join(5)
    assert result.exit_code == 0, result.output
    assert "revoked 2 old lease(s)" in result.output
    assert not any(can_login(postgres, engine, u["username"], u["password"]) for u in old)
    assert all(can_login(postgres, engine, u["username"], u["password"]) for u in new)
