"""The statistics of the events PostgreSQL still holds, aggregated by PostgreSQL itself.

One query reads one user's events through `idx_events_user_created` (or everyone's by time) and
returns only the aggregates, every figure in one pass with grouping sets: the rows never leave the
database. Days and ISO weeks are UTC, the
same as the DuckDB statistics over the archive (events/analytics.py), so both halves of a window
merge into one answer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Date, String, case, cast, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.events.analytics import EventStats
from ai_goals_tracker.models import Event
from ai_goals_tracker.models.enums import EventType

_SYSTEM_TYPES = [event_type for event_type in EventType if event_type.category == "system"]
_SCORED_TYPES = [EventType.CODE_VALIDATED, EventType.TASK_VALIDATED]

_utc = func.timezone("UTC", Event.created_at)
_day = cast(_utc, Date)
# `2025-W03`: the ISO year and week, as DuckDB's `printf('%d-W%02d', isoyear(…), week(…))` writes them.
_week = func.to_char(_utc, 'IYYY-"W"IW')
_submitted = Event.event_type == EventType.CODE_SUBMITTED
# Only submissions have a language: every other event falls in a group of its own, left out below.
_language = case((_submitted, func.coalesce(Event.payload["language"].astext, "unknown")))
_category = func.split_part(cast(Event.event_type, String), ".", 1)
_score = case(
    (func.jsonb_typeof(Event.payload["validation_score"]) == "number", Event.payload["validation_score"].as_float())
)
_scored = Event.event_type.in_(_SCORED_TYPES)
# Which of the grouping sets a row belongs to: GROUPING() sets a bit for each key not grouped by.
_set = func.grouping(_day, _week, _language, _category)
_BY_DAY, _BY_WEEK, _BY_LANGUAGE, _BY_CATEGORY = 0b0111, 0b1011, 0b1101, 0b1110

_STATS = select(
    _set,
    _day,
    _week,
    _language,
    _category,
    func.count(),
    func.count(Event.user_id.distinct()),
    func.count(Event.entity_id.distinct()).filter(Event.event_type == EventType.TASK_COMPLETED),
    func.avg(_score).filter(_scored),
    func.count(_score).filter(_scored),
    func.count().filter(_submitted),
).group_by(func.grouping_sets(tuple_(_day), tuple_(_week), tuple_(_language), tuple_(_category)))


async def live_event_stats(session: AsyncSession, since: datetime, until: datetime, user_id: str | None) -> EventStats:
    """The statistics of the events created in [since, until) (everyone's when `user_id` is None),
    in one pass over them; the streaks are left to the caller, which knows the whole window."""
    scope = [Event.created_at >= since, Event.created_at < until, Event.event_type.not_in(_SYSTEM_TYPES)]
    if user_id is not None:
        scope.append(Event.user_id == user_id)
    rows = (await session.execute(_STATS.where(*scope))).all()
    stats = EventStats()
    for grouped_by, day, week, language, category, events, users, completed, mean, scored, submissions in sorted(
        rows, key=lambda row: tuple(str(value) for value in row[:5])
    ):
        if grouped_by == _BY_DAY:
            stats.activity.append((day, int(events), int(users)))
        elif grouped_by == _BY_WEEK:
            if completed:
                stats.tasks_completed_per_week.append((str(week), int(completed)))
            if scored:
                stats.score_per_week.append((str(week), round(float(mean), 4), int(scored)))
        elif grouped_by == _BY_LANGUAGE and submissions:
            stats.languages.append((str(language), int(submissions)))
        elif grouped_by == _BY_CATEGORY:
            stats.events_by_category[str(category)] = int(events)
    stats.total_events = sum(events for _day, events, _users in stats.activity)
    return stats
