"""Statistics over the event log: PostgreSQL's own aggregates for the period it still holds every
event of, DuckDB over the Parquet archive only for what lies before it; hours per goal from the
live tables."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.events.analytics import EventStats, Window, event_stats, streaks
from ai_goals_tracker.events.log import unarchived_events
from ai_goals_tracker.events.store import ArchiveStore
from ai_goals_tracker.models import Goal, Task, User
from ai_goals_tracker.stats import repository
from ai_goals_tracker.stats.schemas import (
    DayActivity,
    GlobalDayActivity,
    GlobalStats,
    GoalHours,
    LanguageCount,
    StatsWindow,
    Streak,
    UserStats,
    WeekCount,
    WeekScore,
)


@dataclass(frozen=True)
class EventSources:
    """Where events are: the archive, and how long PostgreSQL keeps them after archiving (None: forever)."""

    store: ArchiveStore
    retention_days: int | None

    def complete_since(self, now: datetime) -> datetime | None:
        """From when on PostgreSQL holds every event, or None if it holds all of them.

        Retention deletes only events older than its period, so every event after that is still in
        the table. The boundary is moved on to the first midnight of a Monday (UTC) after that: a day
        and an ISO week then lie wholly on one side of it, and the two halves of a window merge by
        concatenation."""
        if self.retention_days is None:
            return None
        after_cutoff = (now - timedelta(days=self.retention_days)).date() + timedelta(days=1)
        monday = after_cutoff + timedelta(days=-after_cutoff.weekday() % 7)
        return datetime.combine(monday, time.min, UTC)


async def _event_stats(
    session: AsyncSession,
    sources: EventSources,
    window: Window,
    user_id: str | None,
    *,
    weekly: bool = True,
    categories: bool = False,
) -> EventStats:
    """The figures of the window's events; PostgreSQL computes only those asked for (`weekly`:
    completions, scores and languages; `categories`: events per category)."""
    complete_since = sources.complete_since(datetime.now(UTC))
    live_from = window.since if complete_since is None else max(window.since, complete_since)
    parts = []
    if live_from > window.since:
        # The window reaches back beyond the retention period: that part is read from the archive,
        # with the tail read before the archive is listed (see events/log.py) so nothing falls between.
        archived = Window(window.start, min(live_from.date() - timedelta(days=1), window.end))
        tail = await unarchived_events(session, user_id=user_id, since=archived.since)
        parts.append(await asyncio.to_thread(event_stats, sources.store, tail, archived, user_id=user_id))
    if live_from < window.until:
        parts.append(
            await repository.live_event_stats(
                session, live_from, window.until, user_id, weekly=weekly, categories=categories
            )
        )
    return _joined(parts, window)


def _joined(parts: list[EventStats], window: Window) -> EventStats:
    """Statistics of consecutive periods (oldest first) that share no day and no ISO week."""
    joined = EventStats()
    languages: dict[str, int] = {}
    for part in parts:
        joined.total_events += part.total_events
        joined.activity += part.activity
        joined.tasks_completed_per_week += part.tasks_completed_per_week
        joined.score_per_week += part.score_per_week
        for language, submissions in part.languages:
            languages[language] = languages.get(language, 0) + submissions
        for category, count in part.events_by_category.items():
            joined.events_by_category[category] = joined.events_by_category.get(category, 0) + count
    joined.languages = sorted(languages.items(), key=lambda item: (-item[1], item[0]))
    joined.events_by_category = dict(sorted(joined.events_by_category.items()))
    joined.current_streak, joined.longest_streak = streaks((day for day, _e, _u in joined.activity), window.end)
    return joined


async def user_activity(
    session: AsyncSession, sources: EventSources, user: User, window: Window
) -> tuple[list[DayActivity], Streak]:
    """The part of `user_stats` a heatmap shows: events per day and the streaks."""
    stats = await _event_stats(session, sources, window, user.id, weekly=False)
    return _activity(stats), _streak(stats)


async def user_stats(session: AsyncSession, sources: EventSources, user: User, window: Window) -> UserStats:
    stats = await _event_stats(session, sources, window, user.id)
    hours = await session.execute(
        select(
            Goal.id,
            Goal.title,
            Goal.status,
            func.count(Task.id),
            func.coalesce(func.sum(Task.estimated_hours), 0.0),
            func.coalesce(func.sum(Task.actual_hours), 0.0),
        )
        .outerjoin(Task, Task.goal_id == Goal.id)
        .where(Goal.user_id == user.id)
        .group_by(Goal.id)
        .order_by(Goal.created_at, Goal.id)
    )
    return UserStats(
        window=StatsWindow(start=window.start, end=window.end),
        total_events=stats.total_events,
        activity=_activity(stats),
        streak=_streak(stats),
        tasks_completed_per_week=_weeks(stats),
        validation_score_per_week=_scores(stats),
        hours_per_goal=[
            GoalHours(
                goal_id=goal_id,
                title=title,
                status=status.value,
                tasks=tasks,
                estimated_hours=float(estimated or 0.0),
                actual_hours=float(actual or 0.0),
            )
            for goal_id, title, status, tasks, estimated, actual in hours
        ],
        languages=_languages(stats),
    )


async def global_stats(session: AsyncSession, sources: EventSources, window: Window) -> GlobalStats:
    stats = await _event_stats(session, sources, window, None, categories=True)
    users = await session.scalar(select(func.count()).select_from(User)) or 0
    return GlobalStats(
        window=StatsWindow(start=window.start, end=window.end),
        total_events=stats.total_events,
        users=users,
        activity=[GlobalDayActivity(date=d, events=e, active_users=u) for d, e, u in stats.activity],
        events_by_category=stats.events_by_category,
        tasks_completed_per_week=_weeks(stats),
        validation_score_per_week=_scores(stats),
        languages=_languages(stats),
    )


def _activity(stats: EventStats) -> list[DayActivity]:
    return [DayActivity(date=day, events=events) for day, events, _users in stats.activity]


def _streak(stats: EventStats) -> Streak:
    return Streak(current_days=stats.current_streak, longest_days=stats.longest_streak)


def _weeks(stats: EventStats) -> list[WeekCount]:
    return [WeekCount(week=week, count=count) for week, count in stats.tasks_completed_per_week]


def _scores(stats: EventStats) -> list[WeekScore]:
    return [WeekScore(week=w, mean_score=mean, validations=n) for w, mean, n in stats.score_per_week]


def _languages(stats: EventStats) -> list[LanguageCount]:
    return [LanguageCount(language=language, submissions=n) for language, n in stats.languages]
