"""A worker told to stop (what SIGTERM, SIGINT or SIGHUP do to `aigt worker` and `aigt serve`) hands
its running jobs back to the queue, however many attempts they have had: no job is lost."""

from __future__ import annotations

import asyncio

import httpx
import psycopg

from ai_goals_tracker.config import Settings
from ai_goals_tracker.jobs import run_worker
from tests.helpers import API, register_and_login
from tests.snapshots.helpers import slow_tests_task, submit_small, until


async def test_a_stopped_worker_hands_its_running_review_back(
    client: httpx.AsyncClient, database_url: str, settings: Settings
) -> None:
    learner = await register_and_login(client, "interrupted")
    snapshot_id = await submit_small(client, learner, await slow_tests_task(client, learner))
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        # As if the review had been interrupted twice already: its retries are used up.
        await conn.execute("UPDATE procrastinate_jobs SET attempts = 2 WHERE task_name = 'review_snapshot'")
        worker = asyncio.create_task(run_worker(settings, database_url))
        try:
            await until(conn, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'")
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
        rows = await (
            await conn.execute(
                "SELECT status::text, args->>'snapshot_id' FROM procrastinate_jobs WHERE task_name = 'review_snapshot'"
            )
        ).fetchall()
    assert rows == [("todo", snapshot_id)]
    snapshot = (await client.get(f"{API}/snapshots/{snapshot_id}", headers=learner.headers)).json()
    assert snapshot["validation_passed"] is None
