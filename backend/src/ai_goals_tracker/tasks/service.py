"""Tasks: create, change, move, delete, each rolling progress up to the goal and course."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.errors import ValidationFailedError
from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.goals import repository as goals
from ai_goals_tracker.goals.service import roll_up as roll_up_goal
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.lifecycle import move, walk
from ai_goals_tracker.models import Task, User
from ai_goals_tracker.models.enums import EventType, TaskStatus
from ai_goals_tracker.tasks.schemas import TaskCreate, TaskUpdate


async def create(session: AsyncSession, user: User, data: TaskCreate, context: ChangeContext) -> Task:
    goal = await goals.get_owned(session, data.goal_id, user.id)
    if goal is None:
        raise ValidationFailedError(N_("goal_id does not name one of your goals"), extra={"field": "goal_id"})
    task = Task(
        user_id=user.id,
        goal_id=goal.id,
        title=data.title,
        description=data.description,
        task_type=data.task_type,
        priority=data.priority,
        estimated_hours=data.estimated_hours,
        meta=data.metadata,
    )
    session.add(task)
    await record(session, EventType.TASK_CREATED, task, context, user_id=user.id)
    await roll_up_goal(session, goal.id, context)
    return task


async def update(session: AsyncSession, task: Task, data: TaskUpdate, context: ChangeContext, *, actor: User) -> Task:
    """Change a task's fields; a new status is one legal step (`move_to` walks further)."""
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    new_status: TaskStatus | None = changes.pop("status", None)
    for field, value in changes.items():
        if field == "metadata":
            task.meta = value
        else:
            setattr(task, field, value)
    if new_status is not None and new_status != task.status:
        await move(session, task, new_status, context, superuser_id=_superuser_id(actor))
    else:
        await record(session, EventType.TASK_UPDATED, task, context, user_id=task.user_id)
    if new_status is not None:
        await roll_up_goal(session, task.goal_id, context)
    return task


async def move_to(
    session: AsyncSession, task: Task, target: TaskStatus, context: ChangeContext, *, actor: User
) -> Task:
    """Take the task to `target` through the legal path, an event per step, in the caller's transaction."""
    if await walk(session, task, target, context, superuser_id=_superuser_id(actor)):
        await roll_up_goal(session, task.goal_id, context)
    return task


def _superuser_id(actor: User) -> str | None:
    """A superuser acting by hand may complete a code task without a review; the event names them."""
    return actor.id if actor.is_superuser else None


async def delete(session: AsyncSession, task: Task, context: ChangeContext) -> None:
    await record(session, EventType.TASK_DELETED, task, context, user_id=task.user_id)
    goal_id = task.goal_id
    await session.delete(task)
    await session.flush()
    await roll_up_goal(session, goal_id, context)
