"""Goals: create, change, delete, and the roll-up of their tasks. Services flush; the request commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.courses import repository as courses
from ai_goals_tracker.courses.service import roll_up as roll_up_course
from ai_goals_tracker.errors import ValidationFailedError
from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.goals import repository
from ai_goals_tracker.goals.schemas import GoalCreate, GoalUpdate
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.lifecycle import move, walk
from ai_goals_tracker.models import Goal, User
from ai_goals_tracker.models.enums import EventType, GoalStatus


async def _require_own_course(session: AsyncSession, user: User, course_id: str) -> None:
    if await courses.get_owned(session, course_id, user.id) is None:
        raise ValidationFailedError(N_("course_id does not name one of your courses"), extra={"field": "course_id"})


async def create(
    session: AsyncSession, user: User, data: GoalCreate, context: ChangeContext, *, ai_generated: bool = False
) -> Goal:
    if data.course_id is not None:
        await _require_own_course(session, user, data.course_id)
    goal = Goal(
        user_id=user.id,
        course_id=data.course_id,
        title=data.title,
        description=data.description,
        priority=data.priority,
        validation_criteria=data.validation_criteria,
        due_date=data.due_date,
        meta=data.metadata,
        ai_generated=ai_generated,
    )
    session.add(goal)
    await record(session, EventType.GOAL_CREATED, goal, context, user_id=user.id)
    if goal.course_id is not None:
        await roll_up_course(session, goal.course_id, context)
    return goal


async def update(session: AsyncSession, user: User, goal: Goal, data: GoalUpdate, context: ChangeContext) -> Goal:
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    new_status: GoalStatus | None = changes.pop("status", None)
    old_course_id = goal.course_id
    if changes.get("course_id") is not None and changes["course_id"] != old_course_id:
        await _require_own_course(session, user, changes["course_id"])
    for field, value in changes.items():
        if field == "metadata":
            goal.meta = value
        else:
            setattr(goal, field, value)
    if new_status is not None and new_status != goal.status:
        await move(session, goal, new_status, context)
    else:
        await record(session, EventType.GOAL_UPDATED, goal, context, user_id=goal.user_id)
    for course_id in {old_course_id, goal.course_id} - {None}:
        assert course_id is not None
        await roll_up_course(session, course_id, context)
    return goal


async def delete(session: AsyncSession, goal: Goal, context: ChangeContext) -> None:
    await record(session, EventType.GOAL_DELETED, goal, context, user_id=goal.user_id)
    course_id = goal.course_id
    await session.delete(goal)
    await session.flush()
    if course_id is not None:
        await roll_up_course(session, course_id, context)


def goal_progress(total: int, skipped: int, completed: int) -> float:
    counted = total - skipped
    return round(completed / counted * 100, 2) if counted > 0 else 0.0


async def roll_up(session: AsyncSession, goal_id: str, context: ChangeContext) -> None:
    """The goal's progress and status once its tasks have changed, then its course's (`db/locks.py`)."""
    await session.flush()
    goal = await repository.lock(session, goal_id)
    if goal is None:
        return
    counts = await repository.task_counts(session, goal_id)
    progress = goal_progress(counts.total, counts.skipped, counts.completed)
    status = _rolled_status(goal.status, counts)
    if progress == goal.progress_percentage and status == goal.status:
        return
    goal.progress_percentage = progress
    if status != goal.status:
        await walk(session, goal, status, context)
    else:
        await record(session, EventType.GOAL_UPDATED, goal, context, user_id=goal.user_id)
    if goal.course_id is not None:
        await roll_up_course(session, goal.course_id, context)


def _rolled_status(current: GoalStatus, counts: repository.TaskCounts) -> GoalStatus:
    """A goal starts with its first started task and completes when all its counted tasks have.

    Blocked and cancelled goals keep the status their owner gave them.
    """
    if current in (GoalStatus.BLOCKED, GoalStatus.CANCELLED):
        return current
    counted = counts.total - counts.skipped
    if counted > 0 and counts.completed == counted:
        return GoalStatus.COMPLETED
    if current == GoalStatus.COMPLETED:
        return GoalStatus.IN_PROGRESS
    if current == GoalStatus.PENDING and counts.started > 0:
        return GoalStatus.IN_PROGRESS
    return current
