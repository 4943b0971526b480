from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ai_goals_tracker.auth.deps import CurrentUser
from ai_goals_tracker.db.session import SessionDep, UnitOfWorkRoute
from ai_goals_tracker.ownership import OwnedGoal
from ai_goals_tracker.search import service
from ai_goals_tracker.search.deps import EmbeddingsDep
from ai_goals_tracker.search.schemas import EntityTypeFilter, SearchResults

router = APIRouter(route_class=UnitOfWorkRoute, tags=["search"])

MAX_RESULTS = 50


@router.get("/search")
async def search(
    user: CurrentUser,
    session: SessionDep,
    provider: EmbeddingsDep,
    q: Annotated[
        str, Query(min_length=1, max_length=1000, pattern=r"\S", description="What to look for, in any language.")
    ],
    entity_type: Annotated[EntityTypeFilter | None, Query(description="Only this kind of item.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 10,
) -> SearchResults:
    """Your courses, goals, tasks and code ranked by closeness in meaning to `q`."""
    return await service.search(session, provider, user_id=user.id, query=q, entity_type=entity_type, limit=limit)


@router.get("/goals/{goal_id}/similar")
async def similar_goals(
    goal: OwnedGoal,
    session: SessionDep,
    provider: EmbeddingsDep,
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 5,
) -> SearchResults:
    """Your other goals closest in meaning to this one."""
    return await service.similar_goals(session, provider, goal, limit=limit)
