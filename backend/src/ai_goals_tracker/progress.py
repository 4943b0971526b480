"""Progress roll-up, task → goal → course, inside the transaction of the change that caused it.

Locks are always taken in that order (task, then goal, then course), and counts are read after
the parent's lock is held, so concurrent completions of sibling tasks serialize on the parent and
the last one to commit sees them all.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.lifecycle import COURSE_STATUS_EVENTS, GOAL_STATUS_EVENTS, stamp
from ai_goals_tracker.models import Course, Goal, Task
from ai_goals_tracker.models.enums import CourseStatus, EventType, GoalStatus, TaskStatus

_STARTED_TASK = (TaskStatus.IN_PROGRESS, TaskStatus.IN_REVIEW, TaskStatus.COMPLETED, TaskStatus.FAILED)


def goal_progress(total: int, skipped: int, completed: int) -> float:
    counted = total - skipped
    return round(completed / counted * 100, 2) if counted > 0 else 0.0


async def roll_up_goal(session: AsyncSession, goal_id: str, context: ChangeContext) -> None:
    await session.flush()
    goal = await session.scalar(
        select(Goal).where(Goal.id == goal_id).with_for_update(key_share=True).execution_options(populate_existing=True)
    )
    if goal is None:
        return
    total, skipped, completed, started = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Task.status == TaskStatus.SKIPPED),
                func.count().filter(Task.status == TaskStatus.COMPLETED),
                func.count().filter(Task.status.in_(_STARTED_TASK)),
            ).where(Task.goal_id == goal_id)
        )
    ).one()
    progress = goal_progress(total, skipped, completed)
    status = _rolled_goal_status(goal.status, counted=total - skipped, completed=completed, started=started)
    if progress == goal.progress_percentage and status == goal.status:
        return
    goal.progress_percentage = progress
    event = EventType.GOAL_UPDATED
    if status != goal.status:
        goal.status = status
        stamp(goal, started=status != GoalStatus.PENDING, completed=status == GoalStatus.COMPLETED)
        event = GOAL_STATUS_EVENTS.get(status, EventType.GOAL_UPDATED)
    await record(session, event, goal, context, user_id=goal.user_id)
    if goal.course_id is not None:
        await roll_up_course(session, goal.course_id, context)


def _rolled_goal_status(current: GoalStatus, *, counted: int, completed: int, started: int) -> GoalStatus:
    """A goal starts with its first started task and completes when all its counted tasks have.

    Blocked and cancelled goals keep the status their owner gave them.
    """
    if current in (GoalStatus.BLOCKED, GoalStatus.CANCELLED):
        return current
    if counted > 0 and completed == counted:
        return GoalStatus.COMPLETED
    if current == GoalStatus.COMPLETED:
        return GoalStatus.IN_PROGRESS
    if current == GoalStatus.PENDING and started > 0:
        return GoalStatus.IN_PROGRESS
    return current


async def roll_up_course(session: AsyncSession, course_id: str, context: ChangeContext) -> None:
    await session.flush()
    course = await session.scalar(
        select(Course)
        .where(Course.id == course_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if course is None:
        return
    count, mean, completed = (
        await session.execute(
            select(
                func.count(),
                func.avg(Goal.progress_percentage),
                func.count().filter(Goal.status == GoalStatus.COMPLETED),
            ).where(Goal.course_id == course_id, Goal.status != GoalStatus.CANCELLED)
        )
    ).one()
    progress = round(float(mean), 2) if count else 0.0
    status = course.status
    all_done = count > 0 and completed == count
    if course.status == CourseStatus.ACTIVE and all_done:
        status = CourseStatus.COMPLETED
    elif course.status == CourseStatus.COMPLETED and not all_done:
        status = CourseStatus.ACTIVE
    if progress == course.progress_percentage and status == course.status:
        return
    course.progress_percentage = progress
    event = EventType.COURSE_UPDATED
    if status != course.status:
        course.status = status
        stamp(course, started=False, completed=status == CourseStatus.COMPLETED)
        event = COURSE_STATUS_EVENTS.get(status, EventType.COURSE_UPDATED)
    await record(session, event, course, context, user_id=course.user_id)
