from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.db.locks import for_writing
from ai_goals_tracker.models import Course, Goal
from ai_goals_tracker.models.enums import CourseStatus, GoalStatus


def list_query(user_id: str, *, status: CourseStatus | None = None) -> Select[Course]:
    query = select(Course).where(Course.user_id == user_id)
    if status is not None:
        query = query.where(Course.status == status)
    return query.order_by(Course.created_at, Course.id)


async def get_owned(session: AsyncSession, course_id: str, user_id: str) -> Course | None:
    return await session.scalar(select(Course).where(Course.id == course_id, Course.user_id == user_id))


async def lock(session: AsyncSession, course_id: str) -> Course | None:
    """The course, locked for writing: the last lock of the order in `db/locks.py`."""
    return await session.scalar(for_writing(select(Course).where(Course.id == course_id)))


@dataclass(frozen=True, slots=True)
class GoalCounts:
    counted: int
    mean_progress: float
    completed: int


async def goal_counts(session: AsyncSession, course_id: str) -> GoalCounts:
    """The course's goals that count (all but cancelled ones), their mean progress and how many are completed."""
    count, mean, completed = (
        await session.execute(
            select(
                func.count(),
                func.avg(Goal.progress_percentage),
                func.count().filter(Goal.status == GoalStatus.COMPLETED),
            ).where(Goal.course_id == course_id, Goal.status != GoalStatus.CANCELLED)
        )
    ).one()
    return GoalCounts(count, round(float(mean), 2) if count else 0.0, completed)
