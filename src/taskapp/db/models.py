"""The tasks table (SQLAlchemy 2 declarative). Migrations in `migrations/` must match it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TITLE_MAX = 500
OWNER_MAX = 320  # the longest e-mail address


class Base(DeclarativeBase):
    pass


class _UTCDateTime(TypeDecorator[datetime]):
    """SQLite forgets the time zone; every stored value is UTC, so say so when reading."""

    impl = DateTime
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


Timestamp = DateTime(timezone=True).with_variant(_UTCDateTime(), "sqlite")


class Task(Base):
    __tablename__ = "tasks"

    # BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    owner: Mapped[str] = mapped_column(String(OWNER_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    completed: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)
    # The task's API JSON, kept by a PostgreSQL trigger (migration 0002); empty on SQLite.
    doc: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        # Newest-first pages per owner, with and without the `completed` filter.
        Index("ix_tasks_owner_id", "owner", "id"),
        Index("ix_tasks_owner_completed_id", "owner", "completed", "id"),
    )


tasks: Table = Task.__table__  # type: ignore[assignment]
