"""Learning statistics with DuckDB over the event log (archive plus unarchived tail).

Only the months the window touches are read: the files are chosen by their `year=`/`month=`
folders before DuckDB opens any. Days and ISO weeks are UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from ai_goals_tracker.events.log import open_log
from ai_goals_tracker.events.store import ArchiveStore, Month


@dataclass(frozen=True)
class Window:
    """Whole UTC days, both ends included."""

    start: date
    end: date

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> Window:
        end = today or datetime.now(UTC).date()
        return cls(end - timedelta(days=days - 1), end)

    @property
    def months(self) -> tuple[Month, Month]:
        return (self.start.year, self.start.month), (self.end.year, self.end.month)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, UTC)


@dataclass
class EventStats:
    total_events: int = 0
    activity: list[tuple[date, int, int]] = field(default_factory=list)  # day, events, active users
    current_streak: int = 0
    longest_streak: int = 0
    tasks_completed_per_week: list[tuple[str, int]] = field(default_factory=list)
    score_per_week: list[tuple[str, float, int]] = field(default_factory=list)  # week, mean, validations
    languages: list[tuple[str, int]] = field(default_factory=list)
    events_by_category: dict[str, int] = field(default_factory=dict)


_ACTIVITY_SQL = "SELECT created_at::DATE AS day, count(*), count(DISTINCT user_id) FROM scoped GROUP BY day ORDER BY 1"
_COMPLETIONS_SQL = (
    "SELECT printf('%d-W%02d', isoyear(created_at), week(created_at)) AS w, count(DISTINCT entity_id)"
    " FROM scoped WHERE event_type = 'task.completed' GROUP BY w ORDER BY w"
)
_SCORES_SQL = (
    "SELECT printf('%d-W%02d', isoyear(created_at), week(created_at)) AS w,"
    " avg(TRY_CAST(json_extract_string(payload, '$.validation_score') AS DOUBLE)),"
    " count(TRY_CAST(json_extract_string(payload, '$.validation_score') AS DOUBLE))"
    " FROM scoped WHERE event_type IN ('code.validated', 'task.validated')"
    " AND json_extract_string(payload, '$.validation_score') IS NOT NULL GROUP BY w ORDER BY w"
)


def event_stats(store: ArchiveStore, tail: pa.Table, window: Window, *, user_id: str | None) -> EventStats:
    """Blocking (DuckDB): call from a worker thread. `user_id=None` covers everyone."""
    con = open_log(store, tail, months=window.months)
    try:
        return stats_from(con, window, user_id=user_id)
    finally:
        con.close()


def stats_from(con: duckdb.DuckDBPyConnection, window: Window, *, user_id: str | None) -> EventStats:
    """The statistics over the `events` relation of `con` (the log's view, or any table shaped like it)."""
    con.execute("SET TimeZone = 'UTC'")
    scope = "created_at >= $since AND created_at < $until AND event_type NOT LIKE 'system.%'"
    params: dict[str, Any] = {"since": window.since, "until": window.until}
    if user_id is not None:
        scope += " AND user_id = $user_id"
        params["user_id"] = user_id
    con.execute(f"CREATE OR REPLACE TEMP TABLE scoped AS SELECT * FROM events WHERE {scope}", params)  # noqa: S608
    stats = EventStats()
    stats.activity = [(row[0], int(row[1]), int(row[2])) for row in _rows(con, _ACTIVITY_SQL)]
    stats.total_events = sum(events for _day, events, _users in stats.activity)
    stats.current_streak, stats.longest_streak = streaks((day for day, _e, _u in stats.activity), window.end)
    stats.tasks_completed_per_week = [(row[0], int(row[1])) for row in _rows(con, _COMPLETIONS_SQL)]
    stats.score_per_week = [(row[0], round(float(row[1]), 4), int(row[2])) for row in _rows(con, _SCORES_SQL)]
    stats.languages = [
        (row[0], int(row[1]))
        for row in _rows(
            con,
            "SELECT coalesce(json_extract_string(payload, '$.language'), 'unknown') AS language, count(*) AS n"
            " FROM scoped WHERE event_type = 'code.submitted' GROUP BY language ORDER BY n DESC, language",
        )
    ]
    stats.events_by_category = {
        row[0]: int(row[1])
        for row in _rows(con, "SELECT split_part(event_type, '.', 1) AS c, count(*) FROM scoped GROUP BY c ORDER BY c")
    }
    return stats


def _rows(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = con.execute(query).fetchall()
    return rows


def streaks(active_days: Iterable[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive active days. Today not being active yet does not
    break the current streak: it counts up to yesterday."""
    days = sorted(set(active_days))
    longest = run = 0
    previous: date | None = None
    for day in days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    current = 0
    if days and days[-1] >= today - timedelta(days=1):
        current = 1
        for earlier, later in zip(reversed(days[:-1]), reversed(days[1:]), strict=True):
            if later - earlier != timedelta(days=1):
                break
            current += 1
    return current, longest
