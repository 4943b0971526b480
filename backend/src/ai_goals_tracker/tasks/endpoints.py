from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from ai_goals_tracker.auth.deps import AccessClaims, CurrentUser
from ai_goals_tracker.db.session import SessionDep, UnitOfWorkRoute
from ai_goals_tracker.events.types import ChangeContextDep
from ai_goals_tracker.models import Task
from ai_goals_tracker.models.enums import TaskStatus, TaskType
from ai_goals_tracker.ownership import OwnedTaskForUpdate, ReadableTask, read_page
from ai_goals_tracker.pagination import Page, PageDep
from ai_goals_tracker.tasks import repository, service
from ai_goals_tracker.tasks.schemas import TaskCreate, TaskMove, TaskRead, TaskUpdate

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/tasks", tags=["tasks"])


@router.get("")
async def list_tasks(
    claims: AccessClaims,
    request: Request,
    page: PageDep,
    goal_id: Annotated[str | None, Query(max_length=40)] = None,
    status: TaskStatus | None = None,
    task_type: TaskType | None = None,
) -> Page[TaskRead]:
    filters = {"goal_id": goal_id, "status": status, "task_type": task_type}
    tasks, total = await read_page(request, Task, repository.list_query, filters, page, claims)
    return Page(items=[TaskRead.model_validate(t) for t in tasks], total=total, limit=page.limit, offset=page.offset)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_task(data: TaskCreate, user: CurrentUser, session: SessionDep, context: ChangeContextDep) -> TaskRead:
    return TaskRead.model_validate(await service.create(session, user, data, context))


@router.get("/{task_id}")
async def read_task(task: ReadableTask) -> TaskRead:
    return TaskRead.model_validate(task)


@router.patch("/{task_id}")
async def update_task(
    data: TaskUpdate, task: OwnedTaskForUpdate, user: CurrentUser, session: SessionDep, context: ChangeContextDep
) -> TaskRead:
    """Change a task's fields; `status` takes one legal step (an illegal one answers 409 naming the allowed)."""
    return TaskRead.model_validate(await service.update(session, task, data, context, actor=user))


@router.post("/{task_id}/move")
async def move_task(
    data: TaskMove, task: OwnedTaskForUpdate, user: CurrentUser, session: SessionDep, context: ChangeContextDep
) -> TaskRead:
    """Take the task to `status` through the legal path in one transaction, with an event per step.

    `{"status": "completed"}` from `todo` passes through in_progress and in_review. A walk never
    passes through failed or skipped; a status it cannot reach answers 409 naming the allowed ones.
    A `code` task is completed only by a passing review of its code (409 `review_required`).
    """
    return TaskRead.model_validate(await service.move_to(session, task, data.status, context, actor=user))


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(task: OwnedTaskForUpdate, session: SessionDep, context: ChangeContextDep) -> Response:
    """Delete a task; its code snapshots are kept, detached from it."""
    await service.delete(session, task, context)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
