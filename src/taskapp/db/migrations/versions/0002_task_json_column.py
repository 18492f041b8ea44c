"""Each task keeps its API JSON in `doc`, written by PostgreSQL on every insert and update.

A list then reads 100 stored strings instead of formatting 200 times and 100 rows as JSON on
every request (about half of PostgreSQL's CPU per list, measured by bench/taskapp); create,
read and update return it too. A trigger writes it, so every writer (an older replica during a
rollout, or psql) keeps it right. SQLite keeps the column empty: TaskApp encodes rows there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# row_to_json of exactly these columns, in this order: byte for byte what pydantic-core writes
# (tests/taskapp/test_postgres.py compares them).
_FUNCTION = """
CREATE FUNCTION tasks_doc() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.doc := (
    SELECT row_to_json(task)::text FROM (
      SELECT NEW.id AS id, NEW.title AS title, NEW.completed AS completed,
             to_char(NEW.created_at AT TIME ZONE 'UTC',
                     'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
             to_char(NEW.updated_at AT TIME ZONE 'UTC',
                     'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at
    ) AS task
  );
  RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.add_column("tasks", sa.Column("doc", sa.Text(), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTION)
    op.execute(
        "CREATE TRIGGER tasks_doc BEFORE INSERT OR UPDATE ON tasks "
        "FOR EACH ROW EXECUTE FUNCTION tasks_doc()"
    )
    op.execute("UPDATE tasks SET id = id")  # the trigger fills `doc` of every existing row


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER tasks_doc ON tasks")
        op.execute("DROP FUNCTION tasks_doc()")
    op.drop_column("tasks", "doc")
