"""Rotation and revocation under load, without a failed request: the tree's own Vault spec
(database role, revocation statements) and credentials template, a real OpenBao dev server,
`bao agent` rendering the template into the file TaskApp reads, a real PostgreSQL, TaskApp
serving steady load through two TTL rotations, one revocation and one root rotation."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import trustme
from typer.testing import CliRunner

from labctl.cli.vault import app
from labctl.config.cluster import ClusterConfig
from labctl.config.load import load_config
from labctl.platform.components import taskapp, vault_config
from labctl.platform.components.taskapp_db import INIT_SQL
from labctl.vault.configure import configure
from labctl.vault.connection import VaultTarget, nodes
from labctl.vault.db import plan_renewal, renew_then_revoke
from labctl.vault.unseal import Waiter
from taskapp.credentials import CredentialsFile
from tests.support.openbao import BaoAgent, BaoProcess, call, wait_for
from tests.support.postgres import PostgresServer
from tests.taskapp.support import running_server
from tests.vault.database import logs_in

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cluster.yaml"
TTL, MAX_TTL = "3s", "6s"  # a rotation about every 5 s (the tree: 1h and 24h)
DATABASE = "taskapp"


@dataclass
class Load:
    """Steady requests from a few threads: a write and a read each round; failures counted."""

    url: str
    workers: int = 4
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _work(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            n = 0
            while not self._stop.is_set():
                n += 1
                for method, path, body in (("POST", "/api/tasks", {"title": f"t{n}"}),
                                           ("GET", "/api/tasks?limit=5", None)):  # fmt: skip
                    try:
                        status = client.request(method, path, json=body).status_code
                    except httpx.HTTPError as error:
                        self.failures.append(f"{method} {path}: {type(error).__name__}")
                        continue
                    self.statuses[status] += 1
                    if status >= 400:
                        self.failures.append(f"{method} {path}: {status}")

    def __enter__(self) -> Load:
        self._threads = [threading.Thread(target=self._work) for _ in range(self.workers)]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)


@dataclass
class Watcher:
    """The database users the credentials file held, in order."""

    path: Path
    users: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _run(self) -> None:
        creds = CredentialsFile(self.path)
        while not self._stop.wait(0.05):
            if creds.changed():
                read = creds.read()
                if read is not None and (not self.users or self.users[-1] != read.user):
                    self.users.append(read.user)

    def __enter__(self) -> Watcher:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()


@pytest.fixture
def config() -> ClusterConfig:
    return load_config(EXAMPLE)


@pytest.fixture
def stack(
    bao: BaoProcess, own_postgres: PostgresServer, config: ClusterConfig, tmp_path: Path
) -> Iterator[tuple[BaoAgent, Path]]:
    """The tree's Vault spec applied (database on the test's PostgreSQL, short TTLs), and
    `bao agent` rendering the tree's template with the taskapp policy's token."""
    pg = own_postgres
    pg.create_database(DATABASE)
    pg.psql(INIT_SQL.format(database=DATABASE), DATABASE)
    spec = vault_config.spec(config, taskapp.NAMESPACE, taskapp.BACKEND)
    url = f"postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{pg.port}/{DATABASE}"
    connection = spec.database.connections[0].model_copy(
        update={"connection_url": url, "password_file": None, "password_env": "PG_PASSWORD"}
    )
    role = spec.database.roles[0].model_copy(update={"default_ttl": TTL, "max_ttl": MAX_TTL})
    ca = tmp_path / "kube-ca.pem"
    ca.write_bytes(trustme.CA().cert_pem.bytes())
    spec = spec.model_copy(update={
        "database": spec.database.model_copy(update={"connections": [connection], "roles": [role]}),
        "kubernetes_auth": spec.kubernetes_auth.model_copy(
            update={"kubernetes_ca_cert_file": str(ca)}),
    })  # fmt: skip
    client = nodes(VaultTarget(address=bao.url))[0].hvac("root")
    configure(client, spec, password=lambda _c: pg.password)
    created = call(bao.url, "POST", "auth/token/create", "root",
                   {"policies": [vault_config.POLICY], "ttl": "1h"})  # fmt: skip
    token = created.json()["auth"]["client_token"]
    creds = tmp_path / "db-creds"
    agent = BaoAgent(tmp_path, bao.url, token, taskapp.CREDS_TEMPLATE, creds).start()
    try:
        wait_for("the agent's first render", creds.exists, 20)
        yield agent, creds
    finally:
        agent.stop()  # then drop its users while the database still runs
        call(bao.url, "PUT", "sys/leases/revoke-prefix/database/creds", "root", timeout=30)


def test_rotations_and_revocation_under_load_fail_no_request(
    stack: tuple[BaoAgent, Path], bao: BaoProcess, own_postgres: PostgresServer,
    tmp_path: Path, record_property: Callable[[str, object], None],
) -> None:  # fmt: skip
    agent, creds = stack
    env = {
        "TASKAPP_DATABASE_URL": f"postgresql://127.0.0.1:{own_postgres.port}/{DATABASE}",
        "TASKAPP_DATABASE_CREDENTIALS_FILE": str(creds),
        "TASKAPP_CREDENTIALS_POLL_INTERVAL": "0.2",
    }
    client = nodes(VaultTarget(address=bao.url))[0].hvac("root")
    with running_server(tmp_path, env) as server, Watcher(creds) as users:
        server.wait_ready()
        with Load(server.url) as load:
            wait_for("two TTL rotations", lambda: len(users.users) >= 3, 40)
            rotated = len(load.statuses)
            plan = plan_renewal(client, vault_config.ROLE, consumers=1)
            revoked_users = list(users.users)
            renew_then_revoke(client, plan, agent.restart, Waiter(30, 0.2), grace=1.5)
            time.sleep(1.0)
            root = CliRunner().invoke(
                app, ["db", "rotate-root", vault_config.CONNECTION, "--yes",
                      "--address", bao.url], env={"VAULT_TOKEN": "root"},
            )  # fmt: skip
            assert root.exit_code == 0, root.output
            time.sleep(2.0)
        log = server.log()
    requests = sum(load.statuses.values()) + len(load.failures)
    record_property("requests", requests)
    record_property("failures", len(load.failures))
    record_property("users", len(users.users))
    print(f"\nrevocation test: {requests} requests, {len(load.failures)} failed, "
          f"{len(users.users)} credentials, {len(plan.old)} lease(s) revoked")  # fmt: skip
    assert load.failures == [], (load.failures[:10], log[-3000:], agent.log()[-2000:])
    assert rotated and len(users.users) >= 4  # 2 rotations, then the renewal's credentials
    assert requests > 200
    now = users.users[-1]
    assert now not in revoked_users
    for old in revoked_users:
        assert int(own_postgres.psql(
            f"SELECT count(*) FROM pg_roles WHERE rolname = '{old}'")) == 0  # fmt: skip
    assert not logs_in(own_postgres.dsn(DATABASE, "postgres", own_postgres.password))
