from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from ai_goals_tracker.auth.deps import CurrentUser
from ai_goals_tracker.db.session import SessionDep
from ai_goals_tracker.events.types import ChangeContextDep
from ai_goals_tracker.models.enums import TaskStatus, TaskType
from ai_goals_tracker.ownership import OwnedTask, OwnedTaskForUpdate
from ai_goals_tracker.pagination import Page, PageDep, fetch_page
from ai_goals_tracker.tasks import repository, service
from ai_goals_tracker.tasks.schemas import TaskCreate, TaskRead, TaskUpdate

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get("")
async def list_tasks(
    user: CurrentUser,
    session: SessionDep,
    page: PageDep,
    goal_id: Annotated[str | None, Query(max_length=40)] = None,
    status: TaskStatus | None = None,
    task_type: TaskType | None = None,
) -> Page[TaskRead]:
    query = repository.list_query(user.id, goal_id=goal_id, status=status, task_type=task_type)
    tasks, total = await fetch_page(session, query, page)
    return Page(items=[TaskRead.model_validate(t) for t in tasks], total=total, limit=page.limit, offset=page.offset)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_task(data: TaskCreate, user: CurrentUser, session: SessionDep, context: ChangeContextDep) -> TaskRead:
    return TaskRead.model_validate(await service.create(session, user, data, context))


@router.get("/{task_id}")
async def read_task(task: OwnedTask) -> TaskRead:
    return TaskRead.model_validate(task)


@router.patch("/{task_id}")
async def update_task(
    data: TaskUpdate, task: OwnedTaskForUpdate, session: SessionDep, context: ChangeContextDep
) -> TaskRead:
    return TaskRead.model_validate(await service.update(session, task, data, context))


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(task: OwnedTaskForUpdate, session: SessionDep, context: ChangeContextDep) -> Response:
    """Delete a task; its code snapshots are kept, detached from it."""
    await service.delete(session, task, context)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
