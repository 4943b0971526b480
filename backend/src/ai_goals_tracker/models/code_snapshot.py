from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ai_goals_tracker.db.base import Base, created_at_column, id_column, meta_column

if TYPE_CHECKING:
    from ai_goals_tracker.models.task import Task
    from ai_goals_tracker.models.user import User


class CodeSnapshot(Base):
    __tablename__ = "code_snapshots"
    __table_args__ = (
        Index("idx_code_snapshots_validated", "validation_passed", "created_at"),
        Index("idx_code_snapshots_language", "user_id", "language"),
        Index("idx_code_snapshots_task_id", "task_id"),
    )

    id: Mapped[str] = id_column("cs")
    task_id: Mapped[str | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    file_path: Mapped[str] = mapped_column(String(1024), nullable=False)
    language: Mapped[str | None] = mapped_column(String(50))
    code_content: Mapped[str] = mapped_column(Text, nullable=False)
    validation_passed: Mapped[bool | None] = mapped_column(Boolean)
    validation_score: Mapped[float | None] = mapped_column(Float)
    validation_feedback: Mapped[str | None] = mapped_column(Text)
    issues_found: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list, server_default="[]")
    meta: Mapped[dict[str, Any]] = meta_column()
    storage_path: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = created_at_column()

    task: Mapped[Task | None] = relationship(back_populates="code_snapshots", lazy="raise")

    NOT_REVIEWED = "not_reviewed"
    AWAITING_JUDGEMENT = "awaiting_judgement"

    @property
    def review_status(self) -> str | None:
        """The stored review's `status`, None before the review has finished."""
        review = self.meta.get("review")
        status = review.get("status") if isinstance(review, dict) else None
        return status if isinstance(status, str) else None

    @property
    def not_reviewed(self) -> bool:
        """The review could not reach a verdict (an analyzer could not finish); it may be retried."""
        return self.validation_passed is None and self.review_status == self.NOT_REVIEWED

    @property
    def awaiting_judgement(self) -> bool:
        """The review ended with criteria nobody could decide: no verdict until a person judges each."""
        return self.validation_passed is None and self.review_status == self.AWAITING_JUDGEMENT

    @property
    def review_settled(self) -> bool:
        """No review is pending: a verdict, a review that could not reach one, or one that waits for a person."""
        return self.validation_passed is not None or self.not_reviewed or self.awaiting_judgement

    owner: Mapped[User] = relationship(back_populates="code_snapshots", lazy="raise")
