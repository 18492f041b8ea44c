"""Alembic migrations shipped inside the package, run on a connection TaskApp already has.

`alembic.ini` is not needed: the configuration is built here, so `taskapp migrate` works from an
installed wheel. On PostgreSQL an advisory lock serialises replicas that migrate at once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

_SCRIPTS = Path(__file__).parent / "migrations"
_LOCK_ID = 0x7A5C  # any constant; shared by every TaskApp replica


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def head() -> str:
    """The newest revision shipped with this code (read once: /readyz asks on every probe)."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> bool:
    """Bring the schema to head; True when anything was applied."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    if current(connection) == head():
        return False
    command.upgrade(_config(connection), "head")
    return True
