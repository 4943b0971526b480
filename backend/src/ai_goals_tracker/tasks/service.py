"""Tasks: create, change, delete, each rolling progress up to the goal and course."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.errors import ValidationFailedError
from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.lifecycle import TASK_STATUS_EVENTS, TASK_TRANSITIONS, ensure_transition, stamp
from ai_goals_tracker.models import Goal, Task, User
from ai_goals_tracker.models.enums import EventType, TaskStatus
from ai_goals_tracker.progress import roll_up_goal
from ai_goals_tracker.tasks.schemas import TaskCreate, TaskUpdate


async def create(session: AsyncSession, user: User, data: TaskCreate, context: ChangeContext) -> Task:
    goal = await session.get(Goal, data.goal_id)
    if goal is None or goal.user_id != user.id:
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


async def update(session: AsyncSession, task: Task, data: TaskUpdate, context: ChangeContext) -> Task:
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    new_status: TaskStatus | None = changes.pop("status", None)
    for field, value in changes.items():
        if field == "metadata":
            task.meta = value
        else:
            setattr(task, field, value)
    event = EventType.TASK_UPDATED
    if new_status is not None and new_status != task.status:
        event = change_status(task, new_status)
    await record(session, event, task, context, user_id=task.user_id)
    if new_status is not None:
        await roll_up_goal(session, task.goal_id, context)
    return task


def change_status(task: Task, new_status: TaskStatus) -> EventType:
    """Apply a legal status change with its timestamps; return the event that names it."""
    ensure_transition("task", TASK_TRANSITIONS, task.status, new_status)
    task.status = new_status
    stamp(task, started=new_status == TaskStatus.IN_PROGRESS, completed=new_status == TaskStatus.COMPLETED)
    return TASK_STATUS_EVENTS.get(new_status, EventType.TASK_UPDATED)


async def delete(session: AsyncSession, task: Task, context: ChangeContext) -> None:
    await record(session, EventType.TASK_DELETED, task, context, user_id=task.user_id)
    goal_id = task.goal_id
    await session.delete(task)
    await session.flush()
    await roll_up_goal(session, goal_id, context)
