"""Submissions reviewed by the job: verdicts, the task's status, progress roll-up, feedback and events."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ai_goals_tracker.config import Settings
from tests.helpers import API, ApiUser, events_of, register_and_login
from tests.review.corpus import sample_code
from tests.snapshots.helpers import run_reviews, submit, task_with_criteria

LOGIN = sample_code("correct_login.py")
SQL = sample_code("sql_formatting.py")


async def reviewed(client: httpx.AsyncClient, user: ApiUser, snapshot_id: str) -> dict[str, Any]:
    response = await client.get(f"{API}/snapshots/{snapshot_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_correct_solution_completes_the_task_and_its_goal(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "solver")
    goal_id, (task_id,) = await task_with_criteria(client, user)
    snapshot_id = (await submit(client, user, task_id, LOGIN)).json()["id"]

    await run_reviews(settings, database_url)

    snapshot = await reviewed(client, user, snapshot_id)
    assert snapshot["review_status"] == "passed"
    assert snapshot["validation_passed"] is True
    assert snapshot["validation_score"] >= 0.9
    assert snapshot["issues_found"] == []
    assert "What went well" in snapshot["validation_feedback"]
    metadata = snapshot["metadata"]
    assert metadata["lines_of_code"] == 15
    assert metadata["complexity_rank"] == "A"
    assert metadata["maintainability_index"] > 50
    assert [c["status"] for c in metadata["review"]["criteria"]] == ["met"] * 4

    task = (await client.get(f"{API}/tasks/{task_id}", headers=user.headers)).json()
    assert task["status"] == "completed"
    assert task["completed_at"] is not None
    assert task["ai_feedback"] == snapshot["validation_feedback"]
    result = task["validation_result"]
    assert set(result) >= {"passed", "score", "summary", "criteria", "issues", "validated_at"}
    assert result["passed"] is True
    assert result["score"] == snapshot["validation_score"]
    assert result["criteria"][0]["criterion"] == {"check": "defines", "name": "login"}
    assert all(c["evidence"] for c in result["criteria"])
    goal = (await client.get(f"{API}/goals/{goal_id}", headers=user.headers)).json()
    assert (goal["status"], goal["progress_percentage"]) == ("completed", 100.0)

    review_events = [
        (e.event_type.value, e.meta["source"]) for e in await events_of(app, user.id) if e.meta["source"] == "worker"
    ]
    assert review_events == [
        ("code.validated", "worker"),
        ("ai.validation_completed", "worker"),
        ("ai.feedback_generated", "worker"),
        ("task.validated", "worker"),
        ("task.completed", "worker"),
        ("goal.completed", "worker"),
    ]


async def test_feedback_is_in_spanish_for_a_user_who_prefers_it(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "lucia")
    response = await client.patch(
        f"{API}/users/me", json={"metadata": {"preferences": {"language": "es"}}}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    _, (task_id,) = await task_with_criteria(client, user)
    snapshot_id = (await submit(client, user, task_id, SQL, file_path="repo/users.py")).json()["id"]

    await run_reviews(settings, database_url)

    snapshot = await reviewed(client, user, snapshot_id)
    feedback = snapshot["validation_feedback"]
    assert "Corrige primero" in feedback
    assert "inyección SQL" in feedback
    assert "línea 6" in feedback
    assert "Fix first" not in feedback
    assert "What went well" not in feedback
    task = (await client.get(f"{API}/tasks/{task_id}", headers=user.headers)).json()
    assert task["ai_feedback"] == feedback
    assert "criterios" in task["validation_result"]["summary"]


async def test_sql_built_by_formatting_fails_at_the_right_line_and_progress_does_not_move(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "injector")
    goal_id, (done, task_id) = await task_with_criteria(client, user, tasks=2, task_types=("testing",))
    for status in ("in_progress", "in_review", "completed"):
        await client.patch(f"{API}/tasks/{done}", json={"status": status}, headers=user.headers)
    before = (await client.get(f"{API}/goals/{goal_id}", headers=user.headers)).json()
    assert before["progress_percentage"] == 50.0

    snapshot_id = (await submit(client, user, task_id, SQL, file_path="repo/users.py")).json()["id"]
    await run_reviews(settings, database_url)

    snapshot = await reviewed(client, user, snapshot_id)
    assert snapshot["validation_passed"] is False
    security = [i for i in snapshot["issues_found"] if i["category"] == "security"]
    assert [(i["start_line"], i["severity"], i["type"]) for i in security] == [
        (6, "critical", "essential"),
        (11, "critical", "essential"),
        (15, "critical", "essential"),
    ]
    assert security[0]["file"] == "repo/users.py"
    assert security[0]["rule"] in {"S608", "B608"}
    task = (await client.get(f"{API}/tasks/{task_id}", headers=user.headers)).json()
    assert task["status"] == "failed"
    assert task["completed_at"] is None
    assert [i["start_line"] for i in task["validation_result"]["issues"] if i["category"] == "security"] == [6, 11, 15]
    after = (await client.get(f"{API}/goals/{goal_id}", headers=user.headers)).json()
    assert (after["progress_percentage"], after["status"]) == (50.0, "in_progress")
    worker_events = [e.event_type.value for e in await events_of(app, user.id) if e.meta["source"] == "worker"]
    assert worker_events == ["code.validated", "ai.validation_completed", "ai.feedback_generated", "task.failed"]


@pytest.mark.usefixtures("worker")
async def test_wait_returns_the_verdict_when_the_review_is_quick(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "impatient")
    _, (task_id,) = await task_with_criteria(client, user)

    response = await submit(client, user, task_id, LOGIN, wait=20)

    assert response.status_code == 200, response.text
    assert response.json()["validation_passed"] is True
    task = (await client.get(f"{API}/tasks/{task_id}", headers=user.headers)).json()
    assert task["status"] == "completed"


async def test_wait_answers_202_pending_when_no_verdict_comes_in_time(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "unlucky")
    _, (task_id,) = await task_with_criteria(client, user)
    started = time.monotonic()

    response = await submit(client, user, task_id, LOGIN, wait=0.5)

    assert response.status_code == 202
    assert 0.5 <= time.monotonic() - started < 5
    assert response.json()["validation_passed"] is None
    # The wait committed the submission: it is there, and so is its job.
    history = (await client.get(f"{API}/tasks/{task_id}/snapshots", headers=user.headers)).json()
    assert [s["id"] for s in history["items"]] == [response.json()["id"]]


async def test_only_the_newest_attempt_decides_the_task(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "hasty")
    _, (task_id,) = await task_with_criteria(client, user)
    first = (await submit(client, user, task_id, SQL, file_path="login.py")).json()["id"]
    second = (await submit(client, user, task_id, LOGIN)).json()["id"]

    await run_reviews(settings, database_url)

    assert (await reviewed(client, user, first))["validation_passed"] is False
    assert (await reviewed(client, user, second))["validation_passed"] is True
    task = (await client.get(f"{API}/tasks/{task_id}", headers=user.headers)).json()
    assert task["status"] == "completed"
    assert task["validation_result"]["snapshot_id"] == second


async def test_a_snapshot_of_a_deleted_task_is_reviewed_without_a_task(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "deleter")
    _, (task_id,) = await task_with_criteria(client, user)
    snapshot_id = (await submit(client, user, task_id, LOGIN)).json()["id"]
    assert (await client.delete(f"{API}/tasks/{task_id}", headers=user.headers)).status_code == 204

    await run_reviews(settings, database_url)

    snapshot = await reviewed(client, user, snapshot_id)
    assert snapshot["task_id"] is None
    assert snapshot["validation_passed"] is True
    assert snapshot["metadata"]["review"]["criteria"] == []
    worker_events = [e.event_type.value for e in await events_of(app, user.id) if e.meta["source"] == "worker"]
    assert worker_events == ["code.validated", "ai.validation_completed", "ai.feedback_generated"]
