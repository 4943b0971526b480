"""Courses: create, change, delete, and the roll-up of their goals. Services flush; the request commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.courses import repository
from ai_goals_tracker.courses.schemas import CourseCreate, CourseUpdate
from ai_goals_tracker.errors import ValidationFailedError
from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.lifecycle import move
from ai_goals_tracker.models import Course, User
from ai_goals_tracker.models.enums import CourseStatus, EventType

_INITIAL_STATUSES = (CourseStatus.DRAFT, CourseStatus.ACTIVE)


async def create(session: AsyncSession, user: User, data: CourseCreate, context: ChangeContext) -> Course:
    if data.status not in _INITIAL_STATUSES:
        raise ValidationFailedError(N_("A new course starts as draft or active"), extra={"field": "status"})
    course = Course(
        user_id=user.id, title=data.title, description=data.description, status=data.status, meta=data.metadata
    )
    session.add(course)
    await record(session, EventType.COURSE_CREATED, course, context, user_id=user.id)
    return course


async def update(session: AsyncSession, course: Course, data: CourseUpdate, context: ChangeContext) -> Course:
    changes = data.model_dump(exclude_unset=True)
    new_status: CourseStatus | None = changes.pop("status", None)
    for field, value in changes.items():
        if field == "metadata":
            course.meta = value
        else:
            setattr(course, field, value)
    if new_status is not None and new_status != course.status:
        await move(session, course, new_status, context)
    else:
        await record(session, EventType.COURSE_UPDATED, course, context, user_id=course.user_id)
    if new_status == CourseStatus.ACTIVE:
        # Activating a course whose goals are all done completes it straight away.
        await roll_up(session, course.id, context)
    return course


async def delete(session: AsyncSession, course: Course, context: ChangeContext) -> None:
    await record(session, EventType.COURSE_DELETED, course, context, user_id=course.user_id)
    await session.delete(course)
    await session.flush()


async def roll_up(session: AsyncSession, course_id: str, context: ChangeContext) -> None:
    """The course's progress (the mean of its goals') and status, once its goals have changed.

    An active course completes when all its counted goals have, and becomes active again when one
    is reopened; a draft or archived course keeps its status.
    """
    await session.flush()
    course = await repository.lock(session, course_id)
    if course is None:
        return
    counts = await repository.goal_counts(session, course_id)
    all_done = counts.counted > 0 and counts.completed == counts.counted
    status = course.status
    if status == CourseStatus.ACTIVE and all_done:
        status = CourseStatus.COMPLETED
    elif status == CourseStatus.COMPLETED and not all_done:
        status = CourseStatus.ACTIVE
    if counts.mean_progress == course.progress_percentage and status == course.status:
        return
    course.progress_percentage = counts.mean_progress
    if status != course.status:
        await move(session, course, status, context)
    else:
        await record(session, EventType.COURSE_UPDATED, course, context, user_id=course.user_id)
