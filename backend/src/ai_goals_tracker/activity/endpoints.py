"""`GET /events`: a user's own events, read through the API (the log itself is `events/`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ai_goals_tracker.activity import repository
from ai_goals_tracker.activity.schemas import EventRead
from ai_goals_tracker.auth.deps import CurrentUser
from ai_goals_tracker.db.session import SessionDep, UnitOfWorkRoute
from ai_goals_tracker.models.enums import EventType
from ai_goals_tracker.pagination import Page, PageDep, fetch_page
from ai_goals_tracker.schemas import UtcDatetime

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/events", tags=["events"])


@router.get("")
async def list_events(
    user: CurrentUser,
    session: SessionDep,
    page: PageDep,
    event_type: EventType | None = None,
    entity_type: Annotated[str | None, Query(max_length=50)] = None,
    entity_id: Annotated[str | None, Query(max_length=40)] = None,
    since: UtcDatetime | None = None,
) -> Page[EventRead]:
    """Your events, oldest first."""
    query = repository.list_query(
        user.id, event_type=event_type, entity_type=entity_type, entity_id=entity_id, since=since
    )
    events, total = await fetch_page(session, query, page)
    return Page(items=[EventRead.model_validate(e) for e in events], total=total, limit=page.limit, offset=page.offset)
