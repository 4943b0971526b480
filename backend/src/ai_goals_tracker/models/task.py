from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ai_goals_tracker.db.base import Base, created_at_column, id_column, meta_column, updated_at_column
from ai_goals_tracker.models.enums import TASK_STATUS, TASK_TYPE, TaskStatus, TaskType

if TYPE_CHECKING:
    from ai_goals_tracker.models.code_snapshot import CodeSnapshot
    from ai_goals_tracker.models.goal import Goal
    from ai_goals_tracker.models.user import User


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("idx_tasks_goal_id", "goal_id"),
        Index("idx_tasks_status", "status", "created_at"),
        Index("idx_tasks_user_id", "user_id"),
    )

    id: Mapped[str] = id_column("tsk")
    goal_id: Mapped[str] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    task_type: Mapped[TaskType] = mapped_column(
        TASK_TYPE, nullable=False, default=TaskType.CODE, server_default=TaskType.CODE.value
    )
    status: Mapped[TaskStatus] = mapped_column(
        TASK_STATUS, nullable=False, default=TaskStatus.TODO, server_default=TaskStatus.TODO.value
    )
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    estimated_hours: Mapped[float | None] = mapped_column(Float)
    actual_hours: Mapped[float | None] = mapped_column(Float)
    validation_result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    ai_feedback: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = meta_column()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    goal: Mapped[Goal] = relationship(back_populates="tasks", lazy="raise")
    owner: Mapped[User] = relationship(back_populates="tasks", lazy="raise")
    code_snapshots: Mapped[list[CodeSnapshot]] = relationship(back_populates="task", lazy="raise", passive_deletes=True)
