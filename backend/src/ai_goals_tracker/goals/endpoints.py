from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from ai_goals_tracker.auth.deps import AccessClaims, CurrentUser
from ai_goals_tracker.db.session import SessionDep, UnitOfWorkRoute
from ai_goals_tracker.events.types import ChangeContextDep
from ai_goals_tracker.goals import repository, service
from ai_goals_tracker.goals.schemas import GoalCreate, GoalRead, GoalUpdate
from ai_goals_tracker.models import Goal
from ai_goals_tracker.models.enums import GoalPriority, GoalStatus
from ai_goals_tracker.ownership import OwnedGoalForUpdate, ReadableGoal, read_page
from ai_goals_tracker.pagination import Page, PageDep

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/goals", tags=["goals"])


@router.get("")
async def list_goals(
    claims: AccessClaims,
    request: Request,
    page: PageDep,
    course_id: Annotated[str | None, Query(max_length=40)] = None,
    status: GoalStatus | None = None,
    priority: GoalPriority | None = None,
) -> Page[GoalRead]:
    filters = {"course_id": course_id, "status": status, "priority": priority}
    goals, total = await read_page(request, Goal, repository.list_query, filters, page, claims)
    return Page(items=[GoalRead.model_validate(g) for g in goals], total=total, limit=page.limit, offset=page.offset)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_goal(data: GoalCreate, user: CurrentUser, session: SessionDep, context: ChangeContextDep) -> GoalRead:
    return GoalRead.model_validate(await service.create(session, user, data, context))


@router.get("/{goal_id}")
async def read_goal(goal: ReadableGoal) -> GoalRead:
    return GoalRead.model_validate(goal)


@router.patch("/{goal_id}")
async def update_goal(
    data: GoalUpdate, goal: OwnedGoalForUpdate, user: CurrentUser, session: SessionDep, context: ChangeContextDep
) -> GoalRead:
    return GoalRead.model_validate(await service.update(session, user, goal, data, context))


@router.delete("/{goal_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_goal(goal: OwnedGoalForUpdate, session: SessionDep, context: ChangeContextDep) -> Response:
    """Delete a goal and its tasks; their code snapshots are kept."""
    await service.delete(session, goal, context)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
