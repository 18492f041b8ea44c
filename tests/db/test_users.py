"""Vault's dynamic roles, and the expired ones whose sessions outlived them."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from labctl.db.transport import LocalTransport
from labctl.db.users import dynamic_users
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres

SUFFIX = secrets.token_hex(4)
EXPIRED = f"v-kubernet-taskapp-{SUFFIX}-1700000000"
CURRENT = f"v-kubernet-taskapp-{SUFFIX}-1800000000"
OTHER = f"not-vault-{SUFFIX}"


@pytest.fixture
def session_as(postgres: PostgresServer, pg_bin: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Open psql sessions that stay connected until the test ends."""
    sessions: list[subprocess.Popen[bytes]] = []
    yield sessions
    for process in sessions:
        process.kill()
        process.wait()
    roles = ", ".join(f'"{role}"' for role in (EXPIRED, CURRENT, OTHER))
    postgres.psql(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename LIKE '%{SUFFIX}%'"
    )
    postgres.psql(f"DROP ROLE IF EXISTS {roles}")


def open_session(
    postgres: PostgresServer, pg_bin: Path, user: str, database: str
) -> subprocess.Popen[bytes]:
    dsn = postgres.dsn(database, user, "pw")
    return subprocess.Popen(
        [str(pg_bin / "psql"), "-X", "-q", dsn, "-c", "SELECT pg_sleep(60)"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_session(postgres: PostgresServer, user: str) -> None:
    sql = f"SELECT count(*) FROM pg_stat_activity WHERE usename = '{user}'"
    for _ in range(200):
        if postgres.psql(sql) == "1":
            return
        time.sleep(0.05)
    raise AssertionError(f"{user} never connected")


def test_expired_roles_with_open_sessions_are_flagged(
    postgres: PostgresServer,
    transport: LocalTransport,
    pg_bin: Path,
    session_as: list[subprocess.Popen[bytes]],
) -> None:
    database = transport.dsn.database
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    for role in (EXPIRED, CURRENT, OTHER):
        postgres.psql(f"""CREATE ROLE "{role}" LOGIN PASSWORD 'pw' VALID UNTIL '{in_an_hour}'""")
    session_as.append(open_session(postgres, pg_bin, EXPIRED, database))
    wait_for_session(postgres, EXPIRED)
    # Vault's lease ran out: the password expires, the open session does not.
    postgres.psql(f"""ALTER ROLE "{EXPIRED}" VALID UNTIL '2020-01-01 00:00:00+00'""")

    users = dynamic_users(transport)

    by_name = {u.name: u for u in users.users}
    assert set(by_name) >= {EXPIRED, CURRENT} and OTHER not in by_name
    assert (by_name[EXPIRED].expired, by_name[EXPIRED].sessions) == (True, 1)
    assert (by_name[CURRENT].expired, by_name[CURRENT].sessions) == (False, 0)
    assert by_name[EXPIRED].valid_until is not None
    assert by_name[EXPIRED].valid_until.year == 2020
    assert [u.name for u in users.flagged if SUFFIX in u.name] == [EXPIRED]


def test_a_prefix_with_quotes_is_a_literal_not_sql(transport: LocalTransport) -> None:
    assert dynamic_users(transport, prefix="x'); DROP TABLE t; --").users == []
