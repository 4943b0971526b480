from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, status

from ai_goals_tracker.auth.deps import CurrentUser
from ai_goals_tracker.db.session import SessionDep, UnitOfWorkRoute
from ai_goals_tracker.deps import SettingsDep
from ai_goals_tracker.events.types import ChangeContextDep
from ai_goals_tracker.ownership import OwnedCourse, OwnedCourseForUpdate
from ai_goals_tracker.planning import service
from ai_goals_tracker.planning.schemas import Accepted, AcceptRequest, Suggestions, SuggestRequest
from ai_goals_tracker.search.deps import EmbeddingsDep

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/courses/{course_id}/goals", tags=["planning"])


@router.post("/suggest")
async def suggest_goals(
    course: OwnedCourse,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    provider: EmbeddingsDep,
    context: ChangeContextDep,
    data: Annotated[SuggestRequest | None, Body()] = None,
) -> Suggestions:
    """Goals for this course, with criteria and tasks; nothing is saved until you accept some."""
    return await service.suggest(session, settings, provider, user, course, data or SuggestRequest(), context)


@router.post("/accept", status_code=status.HTTP_201_CREATED)
async def accept_goals(
    data: AcceptRequest,
    course: OwnedCourseForUpdate,
    user: CurrentUser,
    session: SessionDep,
    context: ChangeContextDep,
) -> Accepted:
    """Save the chosen suggestions (as returned by `suggest`, edited or not) as goals of this course."""
    return await service.accept(session, user, course, data, context)
