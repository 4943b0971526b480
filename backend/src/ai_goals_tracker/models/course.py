from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ai_goals_tracker.db.base import Base, created_at_column, id_column, meta_column, updated_at_column
from ai_goals_tracker.models.enums import COURSE_STATUS, CourseStatus

if TYPE_CHECKING:
    from ai_goals_tracker.models.goal import Goal
    from ai_goals_tracker.models.user import User


class Course(Base):
    __tablename__ = "courses"
    __table_args__ = (Index("idx_courses_user_id", "user_id"),)

    id: Mapped[str] = id_column("crs")
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[CourseStatus] = mapped_column(
        COURSE_STATUS, nullable=False, default=CourseStatus.DRAFT, server_default=CourseStatus.DRAFT.value
    )
    progress_percentage: Mapped[float] = mapped_column(Float, nullable=False, default=0.0, server_default="0")
    meta: Mapped[dict[str, Any]] = meta_column()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    owner: Mapped[User] = relationship(back_populates="courses", lazy="raise")
    goals: Mapped[list[Goal]] = relationship(back_populates="course", lazy="raise", passive_deletes=True)
