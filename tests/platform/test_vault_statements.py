"""The rendered database role's SQL, run on a real PostgreSQL: users created from it share the
tables, and revocation ends the revoked user's open sessions (VALID UNTIL alone would not)."""

from __future__ import annotations

import asyncpg
import pytest

from labctl.platform.components import taskapp_db, vault_config
from tests.support.postgres import PostgresServer

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]
DB = "taskapp_statements"


def fill(statements: list[str], name: str) -> str:
    values = {
        "{{name}}": name,
        "{{password}}": f"pw-{name}",
        "{{expiration}}": "2099-01-01 00:00:00+0000",
    }
    sql = "\n".join(statements)
    for placeholder, value in values.items():
        sql = sql.replace(placeholder, value)
    return sql


@pytest.fixture(scope="module")
def server(postgres: PostgresServer) -> PostgresServer:
    postgres.create_database(DB)
    postgres.psql(taskapp_db.INIT_SQL.format(database=DB), DB)
    return postgres


async def test_dynamic_users_share_tables_and_revocation_ends_sessions(
    server: PostgresServer,
) -> None:
    server.psql(fill(vault_config.CREATION, "v-first"), DB)
    server.psql(fill(vault_config.CREATION, "v-second"), DB)
    first = await asyncpg.connect(server.dsn(DB, "v-first", "pw-v-first"))
    await first.execute("CREATE TABLE tasks (id int)")
    second = await asyncpg.connect(server.dsn(DB, "v-second", "pw-v-second"))
    await second.execute("INSERT INTO tasks VALUES (1)")
    owner = server.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'tasks'", DB)
    assert owner == vault_config.OWNER_ROLE

    server.psql(fill(vault_config.REVOCATION, "v-first"), DB)

    with pytest.raises(
        (asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.ConnectionDoesNotExistError)
    ):
        await first.fetchval("SELECT count(*) FROM tasks")
    assert server.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'v-first'", DB) == "0"
    assert await second.fetchval("SELECT count(*) FROM tasks") == 1
    await second.close()
    server.psql(fill(vault_config.REVOCATION, "v-second"), DB)
