"""Goals: create, change, delete, with the course roll-up. Services flush; the request commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.errors import ValidationFailedError
from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.goals.schemas import GoalCreate, GoalUpdate
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.lifecycle import GOAL_STATUS_EVENTS, GOAL_TRANSITIONS, ensure_transition, stamp
from ai_goals_tracker.models import Course, Goal, User
from ai_goals_tracker.models.enums import EventType, GoalStatus
from ai_goals_tracker.progress import roll_up_course


async def _require_own_course(session: AsyncSession, user: User, course_id: str) -> None:
    course = await session.get(Course, course_id)
    if course is None or course.user_id != user.id:
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
    event = EventType.GOAL_UPDATED
    if new_status is not None and new_status != goal.status:
        ensure_transition("goal", GOAL_TRANSITIONS, goal.status, new_status)
        goal.status = new_status
        stamp(goal, started=new_status == GoalStatus.IN_PROGRESS, completed=new_status == GoalStatus.COMPLETED)
        event = GOAL_STATUS_EVENTS.get(new_status, EventType.GOAL_UPDATED)
    await record(session, event, goal, context, user_id=goal.user_id)
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
