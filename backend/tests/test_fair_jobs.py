"""Background work shared fairly: one user's large file in flight does not hold back another user's
small review or search. Asserted on the order jobs are handed to worker slots and on what each
user sees, never on how long anything took."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import psycopg
from fastapi import FastAPI

from ai_goals_tracker.events.follower import catch_up
from ai_goals_tracker.jobs import opened_job_app
from tests.helpers import API, ApiUser, register_and_login

# About 256 KB of short lines: the file that once became 2,600 embedding rows and took both slots.
LARGE_FILE = "\n".join(f"v{i} = {i}" for i in range(25_000))[: 250 * 1024]
SMALL_FILE = "print(1)\n"


async def _submission(client: httpx.AsyncClient, user: ApiUser, code: str, title: str) -> str:
    goal = (await client.post(f"{API}/goals", json={"title": title}, headers=user.headers)).json()
    task = await client.post(
        f"{API}/tasks", json={"goal_id": goal["id"], "title": title, "task_type": "code"}, headers=user.headers
    )
    response = await client.post(
        f"{API}/tasks/{task.json()['id']}/snapshots",
        json={"file_path": "work.py", "code_content": code},
        headers=user.headers,
    )
    assert response.status_code == 202, response.text
    snapshot_id: str = response.json()["id"]
    return snapshot_id


async def test_one_users_large_file_takes_one_slot_and_reviews_come_first(
    app: FastAPI, client: httpx.AsyncClient, database_url: str
) -> None:
    heavy = await register_and_login(client, "heavy")
    light = await register_and_login(client, "light")
    heavy_snapshot = await _submission(client, heavy, LARGE_FILE, "Big module")
    for number in range(5):
        await client.post(f"{API}/goals", json={"title": f"Heavy goal {number}"}, headers=heavy.headers)
    light_snapshot = await _submission(client, light, SMALL_FILE, "Hello")
    async with opened_job_app(database_url) as job_app:
        job_app.perform_import_paths()
        # The follower queues the embeddings of everything above: many for the heavy user.
        await catch_up(app.state.sessionmaker)
        worker_id = await job_app.job_manager.register_worker()
        try:
            # Two worker slots take jobs one after the other.
            first = await job_app.job_manager.fetch_job(queues=None, worker_id=worker_id)
            second = await job_app.job_manager.fetch_job(queues=None, worker_id=worker_id)
            third = await job_app.job_manager.fetch_job(queues=None, worker_id=worker_id)
        finally:
            await job_app.job_manager.unregister_worker(worker_id)
    assert first is not None and second is not None
    # Reviews first, oldest first: the heavy user's, then the light user's, ahead of every embedding.
    assert (first.task_name, first.task_kwargs) == ("review_snapshot", {"snapshot_id": heavy_snapshot})
    assert (second.task_name, second.task_kwargs) == ("review_snapshot", {"snapshot_id": light_snapshot})
    # Each user's remaining jobs wait for that user's running one: no third slot for either.
    assert third is None
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        rows = await (
            await conn.execute(
                "SELECT lock, count(*) FROM procrastinate_jobs WHERE task_name = 'embed_entity' AND status = 'todo'"
                " GROUP BY lock"
            )
        ).fetchall()
        await conn.execute("DELETE FROM procrastinate_jobs")
    waiting = dict(rows)
    # One job per entity: the heavy user's snapshot, task and six goals; the light user's three.
    assert waiting == {f"user:{heavy.id}": 8, f"user:{light.id}": 3}


async def test_a_small_review_and_a_search_finish_while_a_large_file_is_embedded(
    app: FastAPI,
    client: httpx.AsyncClient,
    database_url: str,
    drain_jobs: Callable[..., Awaitable[None]],
) -> None:
    light = await register_and_login(client, "searcher")
    await client.post(f"{API}/goals", json={"title": "Aprender a usar Docker"}, headers=light.headers)
    await drain_jobs(["embeddings"])
    heavy = await register_and_login(client, "uploader")
    heavy_snapshot = await _submission(client, heavy, LARGE_FILE, "Big module")
    light_snapshot = await _submission(client, light, SMALL_FILE, "Hello")
    await catch_up(app.state.sessionmaker)
    async with opened_job_app(database_url) as job_app:
        job_app.perform_import_paths()
        worker_id = await job_app.job_manager.register_worker()
        # The heavy user's review takes one slot and stays running (in flight) for the rest of the test.
        heavy_job = await job_app.job_manager.fetch_job(queues=None, worker_id=worker_id)
    assert heavy_job is not None and heavy_job.task_kwargs == {"snapshot_id": heavy_snapshot}
    # Another worker runs what it can meanwhile: the light user's review.
    await drain_jobs(["reviews"])
    reviewed = (await client.get(f"{API}/snapshots/{light_snapshot}", headers=light.headers)).json()
    assert reviewed["validation_passed"] is not None
    # The light user's search embeds its query at once and finds their goal.
    found = (await client.get(f"{API}/search", params={"q": "contenedores"}, headers=light.headers)).json()
    assert found["items"][0]["title"] == "Aprender a usar Docker"
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("DELETE FROM procrastinate_jobs")
        await conn.execute("DELETE FROM procrastinate_workers WHERE id = %s", (worker_id,))
