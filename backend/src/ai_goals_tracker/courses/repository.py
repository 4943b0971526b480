from __future__ import annotations

from sqlalchemy import Select, select

from ai_goals_tracker.models import Course
from ai_goals_tracker.models.enums import CourseStatus


def list_query(user_id: str, *, status: CourseStatus | None = None) -> Select[Course]:
    query = select(Course).where(Course.user_id == user_id)
    if status is not None:
        query = query.where(Course.status == status)
    return query.order_by(Course.created_at, Course.id)
