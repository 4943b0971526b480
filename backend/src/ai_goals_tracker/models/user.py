from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, DateTime, Index, String, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ai_goals_tracker.db.base import Base, created_at_column, id_column, meta_column, updated_at_column

if TYPE_CHECKING:
    from ai_goals_tracker.models.code_snapshot import CodeSnapshot
    from ai_goals_tracker.models.course import Course
    from ai_goals_tracker.models.embedding import Embedding
    from ai_goals_tracker.models.event import Event
    from ai_goals_tracker.models.goal import Goal
    from ai_goals_tracker.models.task import Task


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("idx_users_email", "email", unique=True),
        Index("idx_users_username", "username", unique=True),
    )

    id: Mapped[str] = id_column("usr")
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    username: Mapped[str] = mapped_column(String(50), nullable=False)
    hashed_password: Mapped[str] = mapped_column(String(255), nullable=False)
    full_name: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    is_superuser: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    meta: Mapped[dict[str, Any]] = meta_column()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    courses: Mapped[list[Course]] = relationship(
        back_populates="owner", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    goals: Mapped[list[Goal]] = relationship(
        back_populates="owner", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    tasks: Mapped[list[Task]] = relationship(
        back_populates="owner", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    code_snapshots: Mapped[list[CodeSnapshot]] = relationship(
        back_populates="owner", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    events: Mapped[list[Event]] = relationship(
        back_populates="user", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    embeddings: Mapped[list[Embedding]] = relationship(
        back_populates="user", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
