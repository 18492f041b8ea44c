"""The database secrets engine on the session's OpenBao dev server, connected to a fresh
database on the session's PostgreSQL through a login of its own (never the superuser, whose
password `rotate-root` would change)."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

import asyncpg

from tests.support.openbao import BaoProcess, call
from tests.support.postgres import PostgresServer

CREATION = [
    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';",
    'GRANT ALL ON SCHEMA public TO "{{name}}";',
]
REVOCATION = [
    'ALTER ROLE "{{name}}" NOLOGIN;',
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}';",
    'REVOKE ALL ON SCHEMA public FROM "{{name}}";',
    'DROP ROLE IF EXISTS "{{name}}";',
]


@dataclass(frozen=True)
class Engine:
    bao: BaoProcess
    database: str
    admin: str
    admin_password: str  # until rotate-root

    def creds(self, role: str = "taskapp-role") -> dict[str, str]:
        reply = call(self.bao.url, "GET", f"database/creds/{role}", "root").json()
        return {"lease_id": reply["lease_id"], **reply["data"]}


def enable(bao: BaoProcess, postgres: PostgresServer, dsn: str, ttl: str = "1h",
           max_ttl: str = "24h", statements: list[str] | None = None) -> Engine:  # fmt: skip
    database = dsn.rsplit("/", 1)[1]
    admin, password = f"vault_{database}", secrets.token_urlsafe(12)
    postgres.psql(f"CREATE ROLE {admin} LOGIN CREATEROLE PASSWORD '{password}'")
    postgres.psql(f"GRANT ALL ON DATABASE {database} TO {admin} WITH GRANT OPTION")
    postgres.psql(f"GRANT ALL ON SCHEMA public TO {admin} WITH GRANT OPTION", database)
    url = f"postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{postgres.port}/{database}"
    for path, body in (
        ("sys/mounts/database", {"type": "database"}),
        ("database/config/taskapp-postgres", {
            "plugin_name": "postgresql-database-plugin", "connection_url": url,
            "username": admin, "password": password, "allowed_roles": ["taskapp-role"]}),
        ("database/roles/taskapp-role", {
            "db_name": "taskapp-postgres", "creation_statements": statements or CREATION,
            "revocation_statements": REVOCATION, "default_ttl": ttl, "max_ttl": max_ttl}),
    ):  # fmt: skip
        reply = call(bao.url, "POST", path, "root", body)
        assert reply.status_code in (200, 204), reply.text
    return Engine(bao, database, admin, password)


def logs_in(dsn: str) -> bool:
    """Whether PostgreSQL accepts this login now."""

    async def attempt() -> bool:
        try:
            connection = await asyncpg.connect(dsn, timeout=5)
        except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError):
            return False
        await connection.close()
        return True

    return asyncio.run(attempt())
