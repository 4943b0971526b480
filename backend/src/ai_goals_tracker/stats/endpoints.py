from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ai_goals_tracker.auth.deps import CurrentSuperuser, CurrentUser
from ai_goals_tracker.db.session import SessionDep, UnitOfWorkRoute
from ai_goals_tracker.deps import SettingsDep
from ai_goals_tracker.errors import ValidationFailedError
from ai_goals_tracker.events.analytics import Window
from ai_goals_tracker.events.store import ArchiveStore
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.stats import service
from ai_goals_tracker.stats.schemas import GlobalStats, UserStats
from ai_goals_tracker.stats.service import EventSources

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/stats", tags=["stats"])

DEFAULT_DAYS = 365
MAX_DAYS = 3660

StartQuery = Annotated[date | None, Query(description="First day (UTC) included; default: 364 days before `end`.")]
EndQuery = Annotated[date | None, Query(description="Last day (UTC) included; default: today.")]


def _window(start: date | None, end: date | None) -> Window:
    last = end or datetime.now(UTC).date()
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationFailedError(N_("start must not be after end"), extra={"field": "start"})
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailedError(
            N_("the window may span at most {days} days"), params={"days": MAX_DAYS}, extra={"field": "start"}
        )
    return Window(first, last)


@cache
def archive_store(archive_root: str) -> ArchiveStore:
    """The event archive, opened once per root (for object storage, opening builds a client)."""
    return ArchiveStore.open(archive_root)


def _event_sources(settings: SettingsDep) -> EventSources:
    return EventSources(archive_store(settings.archive_root), settings.events_retention_days)


EventSourcesDep = Annotated[EventSources, Depends(_event_sources)]


@router.get("/me")
async def my_stats(
    sources: EventSourcesDep, user: CurrentUser, session: SessionDep, start: StartQuery = None, end: EndQuery = None
) -> UserStats:
    """Your activity per day, streaks, completions and scores per ISO week, hours per goal, languages."""
    return await service.user_stats(session, sources, user, _window(start, end))


@router.get("/global")
async def global_stats(
    sources: EventSourcesDep,
    _admin: CurrentSuperuser,
    session: SessionDep,
    start: StartQuery = None,
    end: EndQuery = None,
) -> GlobalStats:
    """Everyone's activity (superusers only)."""
    return await service.global_stats(session, sources, _window(start, end))
