"""Progress roll-up: the seed's formula, concurrency, and all-or-nothing changes."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from ai_goals_tracker.events import recorder
from ai_goals_tracker.goals.service import goal_progress
from ai_goals_tracker.models import Event, Task
from tests.helpers import API, ApiUser, register_and_login


def test_goal_progress_formula() -> None:
    assert goal_progress(total=4, skipped=1, completed=1) == 33.33
    assert goal_progress(total=2, skipped=2, completed=0) == 0.0
    assert goal_progress(total=0, skipped=0, completed=0) == 0.0
    assert goal_progress(total=3, skipped=0, completed=3) == 100.0


async def goal_with_tasks(
    client: httpx.AsyncClient, user: ApiUser, count: int, course_id: str | None = None
) -> tuple[str, list[str]]:
    body = {"title": "goal"} | ({"course_id": course_id} if course_id else {})
    goal = (await client.post(f"{API}/goals", json=body, headers=user.headers)).json()
    tasks = []
    for i in range(count):
        # Tasks completed by hand (a code task would need a passing review).
        task = {"title": f"t{i}", "goal_id": goal["id"], "task_type": "testing"}
        r = await client.post(f"{API}/tasks", json=task, headers=user.headers)
        tasks.append(r.json()["id"])
    return goal["id"], tasks


async def move(client: httpx.AsyncClient, user: ApiUser, task_id: str, *statuses: str) -> httpx.Response:
    response = None
    for status in statuses:
        response = await client.patch(f"{API}/tasks/{task_id}", json={"status": status}, headers=user.headers)
        assert response.status_code == 200, response.text
    assert response is not None
    return response


async def test_course_progress_is_the_mean_of_its_non_cancelled_goals(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "mean")
    course = (await client.post(f"{API}/courses", json={"title": "c", "status": "active"}, headers=user.headers)).json()
    _g1, t1 = await goal_with_tasks(client, user, 2, course["id"])
    g2, t2 = await goal_with_tasks(client, user, 1, course["id"])
    g3, _ = await goal_with_tasks(client, user, 1, course["id"])
    await move(client, user, t1[0], "in_progress", "in_review", "completed")
    await client.patch(f"{API}/goals/{g3}", json={"status": "cancelled"}, headers=user.headers)
    c = (await client.get(f"{API}/courses/{course['id']}", headers=user.headers)).json()
    assert c["progress_percentage"] == 25.0  # mean of 50 and 0; the cancelled goal does not count
    await move(client, user, t1[1], "in_progress", "in_review", "completed")
    await move(client, user, t2[0], "in_progress", "in_review", "completed")
    c = (await client.get(f"{API}/courses/{course['id']}", headers=user.headers)).json()
    assert c["progress_percentage"] == 100.0
    assert c["status"] == "completed"
    # A new task reopens its goal, and the course with it.
    await client.post(f"{API}/tasks", json={"title": "more", "goal_id": g2}, headers=user.headers)
    g = (await client.get(f"{API}/goals/{g2}", headers=user.headers)).json()
    c = (await client.get(f"{API}/courses/{course['id']}", headers=user.headers)).json()
    assert g["status"] == "in_progress"
    assert g["progress_percentage"] == 50.0
    assert c["status"] == "active"
    assert c["progress_percentage"] == 75.0


async def test_deleting_a_task_rolls_progress_up(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "deleter")
    goal_id, tasks = await goal_with_tasks(client, user, 2)
    await move(client, user, tasks[0], "in_progress", "in_review", "completed")
    assert (await client.delete(f"{API}/tasks/{tasks[1]}", headers=user.headers)).status_code == 204
    g = (await client.get(f"{API}/goals/{goal_id}", headers=user.headers)).json()
    assert g["progress_percentage"] == 100.0
    assert g["status"] == "completed"


async def test_concurrent_completions_of_sibling_tasks(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "racer")
    goal_id, tasks = await goal_with_tasks(client, user, 4)
    for task_id in tasks:
        await move(client, user, task_id, "in_progress", "in_review")
    for _round in range(2):
        pair = tasks[:2] if _round == 0 else tasks[2:]
        responses = await asyncio.gather(
            *(client.patch(f"{API}/tasks/{t}", json={"status": "completed"}, headers=user.headers) for t in pair)
        )
        assert [r.status_code for r in responses] == [200, 200]
        g = (await client.get(f"{API}/goals/{goal_id}", headers=user.headers)).json()
        assert g["progress_percentage"] == (50.0 if _round == 0 else 100.0)
    assert g["status"] == "completed"


async def test_a_failure_rolls_back_the_change_and_its_event(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await register_and_login(client, "atomic")
    _goal_id, tasks = await goal_with_tasks(client, user, 1)
    async with app.state.sessionmaker() as session:
        events_before = await session.scalar(select(func.count()).select_from(Event))

    original = recorder.record

    async def failing_record(*args: object, **kwargs: object) -> object:
        await original(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("the database went away mid-change")

    monkeypatch.setattr("ai_goals_tracker.lifecycle.record", failing_record)
    with pytest.raises(RuntimeError):
        await client.patch(f"{API}/tasks/{tasks[0]}", json={"status": "in_progress"}, headers=user.headers)
    monkeypatch.undo()

    async with app.state.sessionmaker() as session:
        task = await session.get(Task, tasks[0])
        assert task is not None
        assert task.status == "todo"
        assert await session.scalar(select(func.count()).select_from(Event)) == events_before
