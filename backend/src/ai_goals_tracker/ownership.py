"""Loading a resource on behalf of a user: the one place ownership is checked.

Someone else's id answers 404, exactly as a missing one does, so ids leak nothing. Superusers
may read everything but change only their own data.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Path
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.auth.deps import CurrentUser
from ai_goals_tracker.db.base import Base
from ai_goals_tracker.db.session import SessionDep
from ai_goals_tracker.errors import ForbiddenError, NotFoundError
from ai_goals_tracker.models import Course, Goal, Task, User

M = TypeVar("M", Course, Goal, Task)

ID_PATH = Path(min_length=1, max_length=40)


async def load_owned(
    session: AsyncSession, model: type[M], entity_id: str, user: User, *, for_update: bool = False
) -> M:
    query = select(model).where(model.id == entity_id)
    if not user.is_superuser:
        query = query.where(model.user_id == user.id)
    if for_update:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    entity = await session.scalar(query)
    if entity is None:
        raise NotFoundError(f"{_label(model)} not found")
    if for_update and entity.user_id != user.id:
        raise ForbiddenError(f"Superusers can read, not change, another user's {_label(model).lower()}")
    return entity


def _label(model: type[Base]) -> str:
    return {Course: "Course", Goal: "Goal", Task: "Task"}[model]


async def _course(course_id: Annotated[str, ID_PATH], user: CurrentUser, session: SessionDep) -> Course:
    return await load_owned(session, Course, course_id, user)


async def _course_for_update(course_id: Annotated[str, ID_PATH], user: CurrentUser, session: SessionDep) -> Course:
    return await load_owned(session, Course, course_id, user, for_update=True)


async def _goal(goal_id: Annotated[str, ID_PATH], user: CurrentUser, session: SessionDep) -> Goal:
    return await load_owned(session, Goal, goal_id, user)


async def _goal_for_update(goal_id: Annotated[str, ID_PATH], user: CurrentUser, session: SessionDep) -> Goal:
    return await load_owned(session, Goal, goal_id, user, for_update=True)


async def _task(task_id: Annotated[str, ID_PATH], user: CurrentUser, session: SessionDep) -> Task:
    return await load_owned(session, Task, task_id, user)


async def _task_for_update(task_id: Annotated[str, ID_PATH], user: CurrentUser, session: SessionDep) -> Task:
    return await load_owned(session, Task, task_id, user, for_update=True)


OwnedCourse = Annotated[Course, Depends(_course)]
OwnedCourseForUpdate = Annotated[Course, Depends(_course_for_update)]
OwnedGoal = Annotated[Goal, Depends(_goal)]
OwnedGoalForUpdate = Annotated[Goal, Depends(_goal_for_update)]
OwnedTask = Annotated[Task, Depends(_task)]
OwnedTaskForUpdate = Annotated[Task, Depends(_task_for_update)]
