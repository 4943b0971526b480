from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, String, Text, false
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ai_goals_tracker.db.base import Base, created_at_column, id_column, meta_column, updated_at_column
from ai_goals_tracker.models.enums import GOAL_PRIORITY, GOAL_STATUS, GoalPriority, GoalStatus

if TYPE_CHECKING:
    from ai_goals_tracker.models.course import Course
    from ai_goals_tracker.models.task import Task
    from ai_goals_tracker.models.user import User


class Goal(Base):
    __tablename__ = "goals"
    __table_args__ = (
        Index("idx_goals_user_id", "user_id"),
        Index("idx_goals_status", "status", "created_at"),
        Index("idx_goals_course_id", "course_id"),
    )

    id: Mapped[str] = id_column("gol")
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    course_id: Mapped[str | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[GoalStatus] = mapped_column(
        GOAL_STATUS, nullable=False, default=GoalStatus.PENDING, server_default=GoalStatus.PENDING.value
    )
    priority: Mapped[GoalPriority] = mapped_column(
        GOAL_PRIORITY, nullable=False, default=GoalPriority.MEDIUM, server_default=GoalPriority.MEDIUM.value
    )
    progress_percentage: Mapped[float] = mapped_column(Float, nullable=False, default=0.0, server_default="0")
    ai_generated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    validation_criteria: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, default=dict, server_default="{}"
    )
    meta: Mapped[dict[str, Any]] = meta_column()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    owner: Mapped[User] = relationship(back_populates="goals", lazy="raise")
    course: Mapped[Course | None] = relationship(back_populates="goals", lazy="raise")
    tasks: Mapped[list[Task]] = relationship(
        back_populates="goal", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
