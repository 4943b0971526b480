"""Running review jobs from tests, and a goal with a task ready for submissions."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import psycopg

from ai_goals_tracker.config import Settings
from ai_goals_tracker.jobs import TEST_RUN_QUEUE, run_worker
from ai_goals_tracker.snapshots.jobs import REVIEW_QUEUE
from tests.helpers import API, ApiUser

CRITERIA: list[Any] = [
    {"check": "defines", "name": "login"},
    {"check": "imports", "module": "hmac"},
    {"check": "max_complexity", "value": 10},
    {"check": "no_findings", "severity": "major"},
]


async def pending_reviews(dsn: str) -> int:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE queue_name IN (%s, %s) AND status IN ('todo', 'doing')",
            (REVIEW_QUEUE, TEST_RUN_QUEUE),
        )
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def run_reviews(settings: Settings, dsn: str, *, within_seconds: float = 45.0) -> None:
    """Run a worker in this process until no review is queued or running (retries included)."""
    deadline = time.monotonic() + within_seconds
    while True:
        await run_worker(settings, dsn, wait=False)
        if await pending_reviews(dsn) == 0:
            return
        assert time.monotonic() < deadline, "reviews still pending"
        await asyncio.sleep(0.25)


async def task_with_criteria(
    client: httpx.AsyncClient,
    user: ApiUser,
    *,
    criteria: list[Any] | None = None,
    tasks: int = 1,
    task_types: tuple[str, ...] = (),
) -> tuple[str, list[str]]:
    """A goal with `criteria` (default: structured checks of a login module) and `tasks` tasks, of
    `task_types` in order and `code` after them."""
    body = {"title": "Secure login", "validation_criteria": {"criteria": CRITERIA if criteria is None else criteria}}
    response = await client.post(f"{API}/goals", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    goal_id = response.json()["id"]
    task_ids = []
    for index in range(tasks):
        response = await client.post(
            f"{API}/tasks",
            json={
                "goal_id": goal_id,
                "title": f"Write login {index}",
                "task_type": task_types[index] if index < len(task_types) else "code",
            },
            headers=user.headers,
        )
        assert response.status_code == 201, response.text
        task_ids.append(response.json()["id"])
    return goal_id, task_ids


async def submit(
    client: httpx.AsyncClient, user: ApiUser, task_id: str, code: str, file_path: str = "auth/login.py", **extra: Any
) -> httpx.Response:
    params = {"wait": extra.pop("wait")} if "wait" in extra else None
    headers = {**user.headers, **extra.pop("headers", {})}
    return await client.post(
        f"{API}/tasks/{task_id}/snapshots",
        json={"file_path": file_path, "code_content": code, **extra},
        headers=headers,
        params=params,
    )


# A goal whose test module runs for a long while in the sandbox: what a review with tests costs.
SLOW_TESTS = {
    "check": "tests",
    "framework": "pytest",
    "code": "import time\n\n\ndef test_slow():\n    time.sleep(20)\n",
}


async def slow_tests_task(client: httpx.AsyncClient, user: ApiUser) -> str:
    goal = await client.post(
        f"{API}/goals",
        json={"title": "Slow tests", "validation_criteria": {"criteria": [SLOW_TESTS]}},
        headers=user.headers,
    )
    assert goal.status_code == 201, goal.text
    task = await client.post(
        f"{API}/tasks",
        json={"goal_id": goal.json()["id"], "title": "Pass them", "task_type": "code"},
        headers=user.headers,
    )
    task_id: str = task.json()["id"]
    return task_id


async def submit_small(client: httpx.AsyncClient, user: ApiUser, task_id: str) -> str:
    response = await client.post(
        f"{API}/tasks/{task_id}/snapshots",
        json={"file_path": "work.py", "code_content": "print(1)\n"},
        headers=user.headers,
    )
    assert response.status_code == 202, response.text
    snapshot_id: str = response.json()["id"]
    return snapshot_id


async def until(conn: psycopg.AsyncConnection[Any], query: str, *params: Any) -> None:
    """Until the query's first column is true; bounded only so that a failure does not hang."""
    for _ in range(1800):
        row = await (await conn.execute(query, params or None)).fetchone()
        if row is not None and row[0]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never true: {query}")
