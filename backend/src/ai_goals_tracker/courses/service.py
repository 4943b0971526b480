"""Courses: create, change, delete. Services flush; the request commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.courses.schemas import CourseCreate, CourseUpdate
from ai_goals_tracker.errors import ValidationFailedError
from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.lifecycle import COURSE_STATUS_EVENTS, COURSE_TRANSITIONS, ensure_transition, stamp
from ai_goals_tracker.models import Course, User
from ai_goals_tracker.models.enums import CourseStatus, EventType
from ai_goals_tracker.progress import roll_up_course

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
    event = EventType.COURSE_UPDATED
    new_status = changes.pop("status", None)
    for field, value in changes.items():
        if field == "metadata":
            course.meta = value
        else:
            setattr(course, field, value)
    if new_status is not None and new_status != course.status:
        ensure_transition("course", COURSE_TRANSITIONS, course.status, new_status)
        course.status = new_status
        if new_status == CourseStatus.COMPLETED:
            stamp(course, started=False, completed=True)
        elif new_status == CourseStatus.ACTIVE:
            course.completed_at = None
        event = COURSE_STATUS_EVENTS.get(new_status, EventType.COURSE_UPDATED)
    await record(session, event, course, context, user_id=course.user_id)
    if new_status == CourseStatus.ACTIVE:
        # Activating a course whose goals are all done completes it straight away.
        await roll_up_course(session, course.id, context)
    return course


async def delete(session: AsyncSession, course: Course, context: ChangeContext) -> None:
    await record(session, EventType.COURSE_DELETED, course, context, user_id=course.user_id)
    await session.delete(course)
    await session.flush()
