"""The tasks table (SQLAlchemy 2 declarative). Migrations in `migrations/` must match it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String, Table, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TITLE_MAX = 500
OWNER_MAX = 320  # the longest e-mail address


class Base(DeclarativeBase):
    pass


class Task(Base):
    __tablename__ = "tasks"

    # BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    owner: Mapped[str] = mapped_column(String(OWNER_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    completed: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # Newest-first pages per owner, with and without the `completed` filter.
        Index("ix_tasks_owner_id", "owner", "id"),
        Index("ix_tasks_owner_completed_id", "owner", "completed", "id"),
    )


tasks: Table = Task.__table__  # type: ignore[assignment]
