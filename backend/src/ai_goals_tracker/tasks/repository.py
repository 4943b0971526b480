from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.db.locks import for_writing
from ai_goals_tracker.models import Task
from ai_goals_tracker.models.enums import TaskStatus, TaskType


def list_query(
    user_id: str,
    *,
    goal_id: str | None = None,
    status: TaskStatus | None = None,
    task_type: TaskType | None = None,
) -> Select[Task]:
    query = select(Task).where(Task.user_id == user_id)
    if goal_id is not None:
        query = query.where(Task.goal_id == goal_id)
    if status is not None:
        query = query.where(Task.status == status)
    if task_type is not None:
        query = query.where(Task.task_type == task_type)
    return query.order_by(Task.created_at, Task.id)


async def lock(session: AsyncSession, task_id: str) -> Task | None:
    """The task, locked for writing: the first lock of the order in `db/locks.py`."""
    return await session.scalar(for_writing(select(Task).where(Task.id == task_id)))
