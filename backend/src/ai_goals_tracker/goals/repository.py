from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.db.locks import for_writing
from ai_goals_tracker.lifecycle import TASK
from ai_goals_tracker.models import Goal, Task
from ai_goals_tracker.models.enums import GoalPriority, GoalStatus, TaskStatus


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


async def get_owned(session: AsyncSession, goal_id: str, user_id: str) -> Goal | None:
    return await session.scalar(select(Goal).where(Goal.id == goal_id, Goal.user_id == user_id))


async def lock(session: AsyncSession, goal_id: str) -> Goal | None:
    """The goal, locked for writing: after its tasks and their snapshots, before its course (`db/locks.py`)."""
    return await session.scalar(for_writing(select(Goal).where(Goal.id == goal_id)))


async def validation_criteria(session: AsyncSession, goal_id: str) -> dict[str, Any] | None:
    """The goal's stored criteria document, without loading the rest of the goal."""
    document = await session.scalar(select(Goal.validation_criteria).where(Goal.id == goal_id))
    return document if isinstance(document, dict) else None


async def validation_criteria_of_task(session: AsyncSession, task_id: str) -> dict[str, Any] | None:
    """The criteria document of the task's goal."""
    query = select(Goal.validation_criteria).join(Task, Task.goal_id == Goal.id).where(Task.id == task_id)
    document = await session.scalar(query)
    return document if isinstance(document, dict) else None


@dataclass(frozen=True, slots=True)
class TaskCounts:
    total: int
    skipped: int
    completed: int
    started: int


async def task_counts(session: AsyncSession, goal_id: str) -> TaskCounts:
    """How many of the goal's tasks there are, skipped, completed and started (read under the goal's lock)."""
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Task.status == TaskStatus.SKIPPED),
                func.count().filter(Task.status == TaskStatus.COMPLETED),
                func.count().filter(Task.status.in_(TASK.started)),
            ).where(Task.goal_id == goal_id)
        )
    ).one()
    return TaskCounts(*row)
