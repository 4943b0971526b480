"""`/stats/me` and `/stats/global`: the same answers whether events are archived or not, and a
one-month question reads one month's files."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.config import Settings
from ai_goals_tracker.events.analytics import Window, event_stats, streaks
from ai_goals_tracker.events.archive import apply_retention, archive_pending, compact
from ai_goals_tracker.events.columns import LOG_SCHEMA
from ai_goals_tracker.events.log import unarchived_events
from ai_goals_tracker.events.store import ArchiveStore, month_of
from ai_goals_tracker.stats.repository import live_event_stats
from ai_goals_tracker.stats.service import EventSources
from tests.events.conftest import insert_events, month_start, move_followers
from tests.events.test_replay import submit_and_validate
from tests.helpers import API, make_superuser, register_and_login


@pytest.fixture
def app_store(settings: Settings) -> Iterator[ArchiveStore]:
    store = ArchiveStore.open(settings.archive_root)
    yield store
    shutil.rmtree(store.root, ignore_errors=True)


def test_streaks_count_consecutive_days_and_survive_a_quiet_today() -> None:
    today = date(2025, 3, 10)
    days = [date(2025, 3, d) for d in (1, 2, 3, 4, 6, 7, 8, 9)]
    assert streaks(days, today) == (4, 4)
    assert streaks([*days, today], today) == (5, 5)
    assert streaks([date(2025, 3, 1)], today) == (0, 1)
    assert streaks([], today) == (0, 0)


async def test_my_stats_are_the_same_before_and_after_archiving(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], app_store: ArchiveStore
) -> None:
    ana = await register_and_login(client, "ana")
    other = await register_and_login(client, "other")
    h = ana.headers
    goal = (await client.post(f"{API}/goals", json={"title": "JWT"}, headers=h)).json()
    tasks = [
        (
            await client.post(
                f"{API}/tasks",
                # Completed by hand: not code, which a passing review completes.
                json={"title": f"t{i}", "goal_id": goal["id"], "estimated_hours": 2.5, "task_type": "testing"},
                headers=h,
            )
        ).json()["id"]
        for i in range(3)
    ]
    for task_id in tasks[:2]:
        for status in ("in_progress", "in_review", "completed"):
            await client.patch(f"{API}/tasks/{task_id}", json={"status": status}, headers=h)
    await client.patch(f"{API}/tasks/{tasks[2]}", json={"actual_hours": 4.0}, headers=h)
    await submit_and_validate(sessionmaker, tasks[2], ana.id, 0.91)
    await submit_and_validate(sessionmaker, tasks[2], ana.id, 0.55)
    await client.post(f"{API}/goals", json={"title": "not mine"}, headers=other.headers)

    before = await client.get(f"{API}/stats/me", headers=h)
    assert before.status_code == 200, before.text
    await archive_pending(sessionmaker, app_store, batch_size=7)
    await compact(sessionmaker, app_store)
    await client.patch(f"{API}/goals/{goal['id']}", json={"title": "JWT auth"}, headers=h)
    after = (await client.get(f"{API}/stats/me", headers=h)).json()

    body = before.json()
    today = datetime.now(UTC).date()
    week = f"{today.isocalendar().year}-W{today.isocalendar().week:02d}"
    assert body["activity"] == [{"date": today.isoformat(), "events": body["total_events"]}]
    assert body["streak"] == {"current_days": 1, "longest_days": 1}
    assert body["tasks_completed_per_week"] == [{"week": week, "count": 2}]
    assert body["validation_score_per_week"] == [{"week": week, "mean_score": 0.73, "validations": 2}]
    assert body["languages"] == [{"language": "python", "submissions": 2}]
    assert body["hours_per_goal"] == [
        {
            "goal_id": goal["id"],
            "title": "JWT",
            "status": "in_progress",
            "tasks": 3,
            "estimated_hours": 7.5,
            "actual_hours": 4.0,
        }
    ]
    assert body["window"] == {"start": (today - timedelta(days=364)).isoformat(), "end": today.isoformat()}
    # Archived events count once, the unarchived tail is included, and only mine.
    assert after["total_events"] == body["total_events"] + 1
    assert {k: v for k, v in after.items() if k not in ("total_events", "activity", "hours_per_goal")} == {
        k: v for k, v in body.items() if k not in ("total_events", "activity", "hours_per_goal")
    }


async def test_global_stats_are_for_superusers(client: httpx.AsyncClient, app: object) -> None:
    ana = await register_and_login(client, "ana")
    boss = await register_and_login(client, "boss")
    assert (await client.get(f"{API}/stats/global", headers=ana.headers)).status_code == 403
    await make_superuser(app, boss.id)  # type: ignore[arg-type]
    response = await client.get(f"{API}/stats/global", headers=boss.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["users"] == 2
    assert body["activity"][-1]["active_users"] == 2
    assert body["events_by_category"] == {"user": body["total_events"]}
    bad = await client.get(f"{API}/stats/me", params={"start": "2025-02-01", "end": "2025-01-01"}, headers=ana.headers)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "start"]


async def test_a_one_month_query_reads_only_that_months_files(
    sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path, database_url: str, client: httpx.AsyncClient
) -> None:
    user = await register_and_login(client, "pruned")
    store = ArchiveStore.open(str(tmp_path / "archive"))
    insert_events(database_url, 600, months_ago=(0, 1, 2), user_id=user.id)
    await archive_pending(sessionmaker, store)
    await compact(sessionmaker, store)
    target = month_start(1)
    with psycopg.connect(database_url) as conn:
        expected = conn.execute(
            "SELECT count(*) FROM events WHERE user_id = %s AND event_type::text NOT LIKE 'system.%%'"
            " AND date_trunc('month', created_at AT TIME ZONE 'UTC') = %s",
            (user.id, target.replace(tzinfo=None)),
        ).fetchone()
    # Every other month's files become garbage: reading any of them would fail.
    for path in store.parquet_files():
        if f"year={target.year:04d}/month={target.month:02d}/" not in path:
            with store.filesystem.open_output_stream(path) as sink:
                sink.write(b"not parquet at all")
    end = (month_start(0) - timedelta(days=1)).date()
    one_month = Window(target.date(), end)
    assert month_of(target) == one_month.months[0] == one_month.months[1]
    empty_tail = LOG_SCHEMA.empty_table()
    stats = event_stats(store, empty_tail, one_month, user_id=user.id)
    assert expected is not None
    assert stats.total_events == expected[0] > 0
    with pytest.raises(duckdb.Error):
        event_stats(store, empty_tail, Window(month_start(2).date(), datetime.now(UTC).date()), user_id=user.id)


def _expected_activity(dsn: str, user_id: str, since: datetime) -> list[dict[str, object]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT (created_at AT TIME ZONE 'UTC')::date, count(*) FROM events WHERE user_id = %s"
            " AND event_type::text NOT LIKE 'system.%%' AND created_at >= %s GROUP BY 1 ORDER BY 1",
            (user_id, since),
        ).fetchall()
    return [{"date": day.isoformat(), "events": count} for day, count in rows]


RETENTION_DAYS = 40


@pytest.fixture
def retention(app: FastAPI) -> Iterator[None]:
    """The application configured to delete archived events after RETENTION_DAYS."""
    configured = app.state.settings
    app.state.settings = configured.model_copy(update={"events_retention_days": RETENTION_DAYS})
    yield
    app.state.settings = configured


async def test_stats_reach_into_the_archive_only_before_the_retention_period(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    app_store: ArchiveStore,
    database_url: str,
    retention: None,
) -> None:
    """Events deleted from the table after archiving still count; a window inside the retention
    period is answered by PostgreSQL alone, without opening a Parquet file."""
    user = await register_and_login(client, "kept")
    insert_events(database_url, 400, months_ago=(1, 2, 3, 4), user_id=user.id)
    window = {"start": month_start(5).date().isoformat()}
    expected = _expected_activity(database_url, user.id, month_start(5))
    before = (await client.get(f"{API}/stats/me", params=window, headers=user.headers)).json()
    await archive_pending(sessionmaker, app_store)
    await compact(sessionmaker, app_store)
    move_followers(database_url, to_end=True)
    report = await apply_retention(sessionmaker, app_store, retention_days=RETENTION_DAYS)
    assert report.deleted_rows > 0

    after = (await client.get(f"{API}/stats/me", params=window, headers=user.headers)).json()

    assert before["activity"] == expected
    assert after == before
    # With the archive unreadable, the last four weeks still answer: they never touch it.
    for path in app_store.parquet_files():
        with app_store.filesystem.open_output_stream(path) as sink:
            sink.write(b"not parquet at all")
    recent = datetime.combine(datetime.now(UTC).date() - timedelta(days=27), datetime.min.time(), UTC)
    answer = await client.get(f"{API}/stats/me", params={"start": recent.date().isoformat()}, headers=user.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["activity"] == _expected_activity(database_url, user.id, recent) != []


def test_the_live_period_starts_on_a_monday_after_the_retention_cutoff() -> None:
    store = ArchiveStore.open("/nonexistent")
    assert EventSources(store, None).complete_since(datetime(2025, 3, 12, 15, tzinfo=UTC)) is None
    for now in (datetime(2025, 3, 12, 15, tzinfo=UTC), datetime(2025, 3, 17, 0, 0, tzinfo=UTC)):
        boundary = EventSources(store, 30).complete_since(now)
        assert boundary is not None
        assert boundary.weekday() == 0
        assert boundary.time() == datetime.min.time()
        assert now - timedelta(days=30) < boundary <= now - timedelta(days=30) + timedelta(days=7)


async def test_postgresql_aggregates_the_live_period_as_duckdb_does_the_log(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    """The two ways of counting (PostgreSQL for the live period, DuckDB for the archive) agree on
    every figure, for one learner and for everyone."""
    ana = await register_and_login(client, "ana")
    other = await register_and_login(client, "other")
    goal = (await client.post(f"{API}/goals", json={"title": "G"}, headers=ana.headers)).json()
    task = (await client.post(f"{API}/tasks", json={"goal_id": goal["id"], "title": "T"}, headers=ana.headers)).json()
    for score in (0.91, 0.55, 0.8):
        await submit_and_validate(sessionmaker, task["id"], ana.id, score)
    insert_events(database_url, 300, months_ago=(0, 1, 2), user_id=ana.id)
    insert_events(database_url, 200, months_ago=(0, 1), user_id=other.id, rng=random.Random(3))
    window = Window(month_start(2).date(), datetime.now(UTC).date())
    async with sessionmaker() as session:
        tail = await unarchived_events(session, since=window.since)
        for user_id in (ana.id, None):
            live = await live_event_stats(session, window.since, window.until, user_id, categories=True)
            logged = event_stats(ArchiveStore.open("/nonexistent"), tail, window, user_id=user_id)
            live.current_streak, live.longest_streak = logged.current_streak, logged.longest_streak
            live.languages.sort(key=lambda item: (-item[1], item[0]))
            assert live == logged
            assert live.total_events > 200
            assert live.tasks_completed_per_week
            assert live.score_per_week
