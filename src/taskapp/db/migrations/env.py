"""Alembic environment: runs on the connection `taskapp.db.migrate` hands it.

TaskApp migrates through its own engine (`taskapp migrate`, or on start), so this file never
builds an engine or reads a URL itself.
"""

from __future__ import annotations

from alembic import context

from taskapp.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `taskapp migrate`, not the alembic command")

context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
