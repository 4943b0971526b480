"""Replay and verify: the log alone rebuilds the database, and verify says where they disagree."""

from __future__ import annotations

from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.db.engine import unit_of_work
from ai_goals_tracker.events.archive import archive_pending, compact
from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.replay import verify
from ai_goals_tracker.events.store import ArchiveStore
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.models import CodeSnapshot, Task
from ai_goals_tracker.models.enums import EventType
from tests.events.conftest import run_aigt
from tests.helpers import API, ApiUser, register_and_login


async def submit_and_validate(
    sessionmaker: async_sessionmaker[AsyncSession], task_id: str, user_id: str, score: float
) -> str:
    """A snapshot submitted, then validated by the review job, each with its event."""
    context = ChangeContext(source="vscode_extension")
    async with unit_of_work(sessionmaker) as session:
        snapshot = CodeSnapshot(
            task_id=task_id, user_id=user_id, file_path="app/login.py", language="python", code_content="print(1)\n"
        )
        session.add(snapshot)
        await record(session, EventType.CODE_SUBMITTED, snapshot, context, user_id=user_id)
    async with unit_of_work(sessionmaker) as session:
        loaded = await session.get(CodeSnapshot, snapshot.id)
        assert loaded is not None
        loaded.validation_passed = score >= 0.7
        loaded.validation_score = score
        loaded.validation_feedback = "Bien hecho"
        loaded.issues_found = [{"rule": "E501", "line": 1}]
        await record(session, EventType.CODE_VALIDATED, loaded, context, user_id=user_id)
        task = await session.get(Task, task_id)
        assert task is not None
        task.validation_result = {"passed": score >= 0.7, "score": score}
        task.ai_feedback = "¡Excelente trabajo!"
        await record(session, EventType.TASK_VALIDATED, task, context, user_id=user_id)
    return snapshot.id


async def rich_history_part_one(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[ApiUser, ApiUser, str]:
    ana = await register_and_login(client, "ana", full_name="Ana")
    ben = await register_and_login(client, "ben")
    h, hb = ana.headers, ben.headers
    assert (
        await client.patch(f"{API}/users/me", json={"full_name": "Ana María", "metadata": {"theme": "dark"}}, headers=h)
    ).status_code == 200
    course = (await client.post(f"{API}/courses", json={"title": "FastAPI", "status": "active"}, headers=h)).json()
    doomed_course = (await client.post(f"{API}/courses", json={"title": "Old"}, headers=h)).json()
    g1 = (
        await client.post(
            f"{API}/goals", json={"title": "JWT", "course_id": course["id"], "priority": "high"}, headers=h
        )
    ).json()
    g2 = (
        await client.post(f"{API}/goals", json={"title": "Solo", "validation_criteria": {"criteria": ["x"]}}, headers=h)
    ).json()
    g3 = (
        await client.post(f"{API}/goals", json={"title": "Orphaned", "course_id": doomed_course["id"]}, headers=h)
    ).json()
    tasks = []
    for title, goal in (("login", g1), ("tokens", g1), ("protect", g1), ("solo", g2)):
        # Completed by hand: not code, which a passing review completes.
        body = {"title": title, "goal_id": goal["id"], "estimated_hours": 2.5, "task_type": "documentation"}
        tasks.append((await client.post(f"{API}/tasks", json=body, headers=h)).json()["id"])
    for status in ("in_progress", "in_review", "completed"):
        assert (await client.patch(f"{API}/tasks/{tasks[0]}", json={"status": status}, headers=h)).status_code == 200
    await client.patch(f"{API}/tasks/{tasks[1]}", json={"title": "JWT tokens", "actual_hours": 3.0}, headers=h)
    await submit_and_validate(sessionmaker, tasks[1], ana.id, 0.91)
    await client.patch(f"{API}/goals/{g3['id']}", json={"status": "blocked"}, headers=h)
    assert (await client.delete(f"{API}/courses/{doomed_course['id']}", headers=h)).status_code == 204
    bg = (await client.post(f"{API}/goals", json={"title": "Ben's goal"}, headers=hb)).json()
    await client.post(f"{API}/tasks", json={"title": "read", "goal_id": bg["id"], "task_type": "research"}, headers=hb)
    await client.post(f"{API}/auth/logout", headers=hb)
    return ana, ben, tasks[1]


async def rich_history_part_two(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], ana: ApiUser, task_with_code: str
) -> None:
    h = ana.headers
    goals = (await client.get(f"{API}/goals", headers=h)).json()["items"]
    by_title = {g["title"]: g for g in goals}
    tasks = (await client.get(f"{API}/tasks", params={"goal_id": by_title["JWT"]["id"]}, headers=h)).json()["items"]
    for task in tasks:
        if task["status"] == "todo":
            for status in ("in_progress", "in_review", "completed"):
                await client.patch(f"{API}/tasks/{task['id']}", json={"status": status}, headers=h)
    await submit_and_validate(sessionmaker, task_with_code, ana.id, 0.55)
    # Snapshots of a deleted task stay, without their task.
    assert (await client.delete(f"{API}/tasks/{task_with_code}", headers=h)).status_code == 204
    # A deleted goal takes its tasks with it.
    assert (await client.delete(f"{API}/goals/{by_title['Solo']['id']}", headers=h)).status_code == 204
    await client.patch(
        f"{API}/goals/{by_title['Orphaned']['id']}", json={"status": "pending", "title": "Adopted"}, headers=h
    )


@pytest.mark.slow
async def test_the_log_rebuilds_the_database_and_verify_finds_a_change_made_behind_its_back(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    store: ArchiveStore,
    database_url: str,
    tmp_path: Path,
) -> None:
    ana, _ben, task_with_code = await rich_history_part_one(client, sessionmaker)
    assert (await archive_pending(sessionmaker, store, batch_size=25)).archived > 0
    await compact(sessionmaker, store)
    await rich_history_part_two(client, sessionmaker, ana, task_with_code)
    with psycopg.connect(database_url) as conn:
        archived, unarchived = conn.execute(
            "SELECT count(*) FILTER (WHERE processed_at IS NOT NULL), count(*) FILTER (WHERE processed_at IS NULL)"
            " FROM events"
        ).fetchone() or (0, 0)
        snapshots = conn.execute("SELECT task_id, validation_score FROM code_snapshots ORDER BY id").fetchall()
    assert archived > 0 and unarchived > 0
    assert snapshots == [(None, 0.91), (None, 0.55)]

    result = await verify(sessionmaker, store, database_url)
    assert [d.describe() for d in result.differences] == []
    assert result.replay.applied > 40

    env = {"AIGT_DATABASE_URL": database_url, "AIGT_ARCHIVE_URI": store.uri, "AIGT_HOME": str(tmp_path)}
    clean = run_aigt("events", "verify", env=env)
    assert clean.returncode == 0, clean.stderr
    assert "0 differences" in clean.stdout

    with psycopg.connect(database_url) as conn:
        goal_id = conn.execute("SELECT id FROM goals WHERE title = 'Adopted'").fetchone()
        assert goal_id is not None
        conn.execute("UPDATE goals SET title = 'tampered' WHERE id = %s", goal_id)
    tampered = run_aigt("events", "verify", env=env)
    assert tampered.returncode == 1
    assert f"goals {goal_id[0]}.title: live='tampered' replayed='Adopted'" in tampered.stdout
    assert "1 differences" in tampered.stdout


async def test_replay_refuses_a_database_that_is_not_empty(
    client: httpx.AsyncClient, store: ArchiveStore, database_url: str, tmp_path: Path
) -> None:
    await register_and_login(client, "someone")
    env = {"AIGT_DATABASE_URL": database_url, "AIGT_ARCHIVE_URI": store.uri, "AIGT_HOME": str(tmp_path)}
    result = run_aigt("events", "replay", "--target-url", database_url, env=env)
    assert result.returncode == 1
    assert "not empty: table users has rows" in result.stderr
