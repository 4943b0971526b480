"""Statistics: DuckDB over the event log for activity, hours per goal from the live tables."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.events.analytics import EventStats, Window, event_stats
from ai_goals_tracker.events.log import unarchived_events
from ai_goals_tracker.events.store import ArchiveStore
from ai_goals_tracker.models import Goal, Task, User
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


async def _event_stats(session: AsyncSession, store: ArchiveStore, window: Window, user_id: str | None) -> EventStats:
    # The tail is read before the archive is listed (see events/log.py): nothing falls between them.
    tail = await unarchived_events(session, user_id=user_id, since=window.since)
    return await asyncio.to_thread(event_stats, store, tail, window, user_id=user_id)


async def user_stats(session: AsyncSession, store: ArchiveStore, user: User, window: Window) -> UserStats:
    stats = await _event_stats(session, store, window, user.id)
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
        activity=[DayActivity(date=day, events=events) for day, events, _users in stats.activity],
        streak=Streak(current_days=stats.current_streak, longest_days=stats.longest_streak),
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


async def global_stats(session: AsyncSession, store: ArchiveStore, window: Window) -> GlobalStats:
    stats = await _event_stats(session, store, window, None)
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


def _weeks(stats: EventStats) -> list[WeekCount]:
    return [WeekCount(week=week, count=count) for week, count in stats.tasks_completed_per_week]


def _scores(stats: EventStats) -> list[WeekScore]:
    return [WeekScore(week=w, mean_score=mean, validations=n) for w, mean, n in stats.score_per_week]


def _languages(stats: EventStats) -> list[LanguageCount]:
    return [LanguageCount(language=language, submissions=n) for language, n in stats.languages]
