from __future__ import annotations

from sqlalchemy import Select, select

from ai_goals_tracker.models import Goal
from ai_goals_tracker.models.enums import GoalPriority, GoalStatus


def list_query(
    user_id: str,
    *,
    course_id: str | None = None,
    status: GoalStatus | None = None,
    priority: GoalPriority | None = None,
) -> Select[Goal]:
    query = select(Goal).where(Goal.user_id == user_id)
    if course_id is not None:
        query = query.where(Goal.course_id == course_id)
    if status is not None:
        query = query.where(Goal.status == status)
    if priority is not None:
        query = query.where(Goal.priority == priority)
    return query.order_by(Goal.created_at, Goal.id)
