"""The statistics of the events PostgreSQL still holds, aggregated by PostgreSQL itself.

The queries read one user's events through `idx_events_user_created` (or everyone's by time) and
return only the aggregates: the rows never leave the database. A page asks only for the figures
it shows. Days and ISO weeks are UTC, as in the DuckDB statistics over the archive
(events/analytics.py), so both halves of a window join into one answer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Date, String, case, cast, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.events.analytics import EventStats
from ai_goals_tracker.models import Event
from ai_goals_tracker.models.enums import EventType

_SYSTEM_TYPES = [event_type for event_type in EventType if event_type.category == "system"]
_COMPLETED = Event.event_type == EventType.TASK_COMPLETED
_SCORED = Event.event_type.in_([EventType.CODE_VALIDATED, EventType.TASK_VALIDATED])
_SUBMITTED = Event.event_type == EventType.CODE_SUBMITTED

_utc = func.timezone("UTC", Event.created_at)
_day = cast(_utc, Date)
# `2025-W03`: the ISO year and week, as DuckDB's `printf('%d-W%02d', isoyear(…), week(…))` writes them.
_week = func.to_char(_utc, 'IYYY-"W"IW')
# Only a submission has a language; every other event falls in a group of its own, left out.
_language = case((_SUBMITTED, func.coalesce(Event.payload["language"].astext, "unknown")))
_category = func.split_part(cast(Event.event_type, String), ".", 1)
_score = case(
    (func.jsonb_typeof(Event.payload["validation_score"]) == "number", Event.payload["validation_score"].as_float())
)

_ACTIVITY = select(_day, func.count(), func.count(Event.user_id.distinct())).group_by(_day).order_by(_day)
_CATEGORIES = select(_category, func.count()).group_by(_category).order_by(_category)
# The few events the weekly figures and the languages come from, in one pass with two grouping
# sets: GROUPING(week) is 0 on a week's row and 1 on a language's.
_WEEKS_AND_LANGUAGES = (
    select(
        func.grouping(_week),
        _week,
        _language,
        func.count(Event.entity_id.distinct()).filter(_COMPLETED),
        func.avg(_score).filter(_SCORED),
        func.count(_score).filter(_SCORED),
        func.count().filter(_SUBMITTED),
    )
    .where(or_(_COMPLETED, _SCORED, _SUBMITTED))
    .group_by(func.grouping_sets(tuple_(_week), tuple_(_language)))
)


async def live_event_stats(
    session: AsyncSession,
    since: datetime,
    until: datetime,
    user_id: str | None,
    *,
    weekly: bool = True,
    categories: bool = True,
) -> EventStats:
    """The statistics of the events created in [since, until) (everyone's when `user_id` is None):
    always the activity per day, the weekly figures and languages if `weekly`, the events per
    category if `categories`. The streaks are left to the caller, which knows the whole window."""
    scope = [Event.created_at >= since, Event.created_at < until, Event.event_type.not_in(_SYSTEM_TYPES)]
    if user_id is not None:
        scope.append(Event.user_id == user_id)
    stats = EventStats()
    activity = await session.execute(_ACTIVITY.where(*scope))
    stats.activity = [(day, int(events), int(users)) for day, events, users in activity]
    stats.total_events = sum(events for _day, events, _users in stats.activity)
    if weekly:
        await _add_weeks_and_languages(session, stats, scope)
    if categories:
        stats.events_by_category = {
            str(category): int(n) for category, n in await session.execute(_CATEGORIES.where(*scope))
        }
    return stats


async def _add_weeks_and_languages(session: AsyncSession, stats: EventStats, scope: list[ColumnElement[bool]]) -> None:
    rows = (await session.execute(_WEEKS_AND_LANGUAGES.where(*scope))).all()
    for by_language, week, language, completed, mean, scored, submissions in sorted(rows, key=lambda r: str(r[1])):
        if not by_language:
            if completed:
                stats.tasks_completed_per_week.append((str(week), int(completed)))
            if scored:
                stats.score_per_week.append((str(week), round(float(mean), 4), int(scored)))
        elif submissions:
            stats.languages.append((str(language), int(submissions)))
