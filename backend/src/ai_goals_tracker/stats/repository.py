"""The statistics of the events PostgreSQL still holds, aggregated by PostgreSQL itself.

Each query reads one user's events through `idx_events_user_created` (or everyone's by time) and
returns only the aggregates: the rows never leave the database. Days and ISO weeks are UTC, the
same as the DuckDB statistics over the archive (events/analytics.py), so both halves of a window
merge into one answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Date, Select, String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from ai_goals_tracker.events.analytics import EventStats
from ai_goals_tracker.models import Event
from ai_goals_tracker.models.enums import EventType

_SYSTEM_TYPES = [event_type for event_type in EventType if event_type.category == "system"]
_SCORED_TYPES = [EventType.CODE_VALIDATED, EventType.TASK_VALIDATED]

_utc = func.timezone("UTC", Event.created_at)
_day = cast(_utc, Date)
# `2025-W03`: the ISO year and week, as DuckDB's `printf('%d-W%02d', isoyear(…), week(…))` writes them.
_week = func.to_char(_utc, 'IYYY-"W"IW')
_score = Event.payload["validation_score"]
_language = func.coalesce(Event.payload["language"].astext, "unknown")
_category = func.split_part(cast(Event.event_type, String), ".", 1)


async def live_event_stats(session: AsyncSession, since: datetime, until: datetime, user_id: str | None) -> EventStats:
    """The statistics of the events created in [since, until) (everyone's when `user_id` is None);
    the streaks are left to the caller, which knows the whole window."""
    scope = _scope(since, until, user_id)
    stats = EventStats()
    activity = await _rows(session, select(_day, func.count(), func.count(Event.user_id.distinct())), _day, *scope)
    stats.activity = [(day, int(events), int(users)) for day, events, users in activity]
    stats.total_events = sum(events for _day, events, _users in stats.activity)
    completions = await _rows(
        session,
        select(_week, func.count(Event.entity_id.distinct())),
        _week,
        *scope,
        Event.event_type == EventType.TASK_COMPLETED,
    )
    stats.tasks_completed_per_week = [(str(week), int(count)) for week, count in completions]
    scores = await _rows(
        session,
        select(_week, func.avg(_score.as_float()), func.count()),
        _week,
        *scope,
        Event.event_type.in_(_SCORED_TYPES),
        func.jsonb_typeof(_score) == "number",
    )
    stats.score_per_week = [(str(week), round(float(mean), 4), int(n)) for week, mean, n in scores]
    languages = await _rows(
        session, select(_language, func.count()), _language, *scope, Event.event_type == EventType.CODE_SUBMITTED
    )
    stats.languages = [(str(language), int(n)) for language, n in languages]
    categories = await _rows(session, select(_category, func.count()), _category, *scope)
    stats.events_by_category = {str(category): int(n) for category, n in categories}
    return stats


def _scope(since: datetime, until: datetime, user_id: str | None) -> list[ColumnElement[bool]]:
    scope = [Event.created_at >= since, Event.created_at < until, Event.event_type.not_in(_SYSTEM_TYPES)]
    if user_id is not None:
        scope.append(Event.user_id == user_id)
    return scope


async def _rows(
    session: AsyncSession, query: Select[*tuple[Any, ...]], key: ColumnElement[Any], *where: ColumnElement[bool]
) -> list[tuple[Any, ...]]:
    """The aggregates of `query` over the rows matching `where`, one row per `key`, in its order."""
    result = await session.execute(query.where(*where).group_by(key).order_by(key))
    return [tuple(row) for row in result]
