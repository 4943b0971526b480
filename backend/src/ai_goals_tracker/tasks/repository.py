from __future__ import annotations

from sqlalchemy import Select, select

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
