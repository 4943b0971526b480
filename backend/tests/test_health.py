from __future__ import annotations

import asyncio

import httpx
import psycopg

from ai_goals_tracker.config import Settings
from ai_goals_tracker.health.endpoints import QUEUE_LAG_LIMIT_SECONDS
from ai_goals_tracker.jobs import run_worker


async def _wait_for_worker(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        for _ in range(600):
            # A live one: rows of workers other tests stopped or killed may linger with old heartbeats.
            row = await (
                await conn.execute(
                    "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - interval '5 seconds'"
                )
            ).fetchone()
            if row is not None and row[0] > 0:
                return
            await asyncio.sleep(0.1)
    raise AssertionError("the worker never registered")


async def test_health_is_ok_with_the_database_and_a_worker(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    worker = asyncio.create_task(run_worker(settings, database_url))
    try:
        await _wait_for_worker(database_url)
        for path in ("/health", "/api/v1/health"):
            response = await client.get(path)
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["status"] == "ok"
            assert body["database"] == "ok"
            assert body["worker"] == "ok"
            assert body["down"] == []
            assert tuple(int(p) for p in body["pgvector"].split(".")[:2]) >= (0, 8)
            # What bounds a test run's total memory: a control group where the server may make one.
            expected = "cgroup v1" if _cgroup_v1_here() else body["sandbox_bounds"]
            assert body["sandbox_bounds"] == expected
            assert body["sandbox_bounds"] in ("cgroup v1", "cgroup v2", "watchdog")
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)


async def test_health_answers_503_naming_a_missing_worker_and_a_lagging_queue(
    client: httpx.AsyncClient, database_url: str
) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("DELETE FROM procrastinate_workers")
        job = await (
            await conn.execute(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, args) VALUES ('nowhere', 'nothing', '{}')"
                " RETURNING id"
            )
        ).fetchone()
        assert job is not None
        await conn.execute(
            "UPDATE procrastinate_events SET at = now() - make_interval(secs => %s) WHERE job_id = %s",
            (QUEUE_LAG_LIMIT_SECONDS + 60, job[0]),
        )
        try:
            response = await client.get("/health")
        finally:
            await conn.execute("DELETE FROM procrastinate_jobs WHERE id = %s", (job[0],))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["worker"] == "down"
    assert body["queue"] == "lagging"
    assert body["queue_lag_seconds"] > QUEUE_LAG_LIMIT_SECONDS
    assert body["down"] == ["worker", "queue"]


async def test_openapi_docs_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "AI Goals Tracker"


def _cgroup_v1_here() -> bool:
    """Root on a machine with cgroup v1's memory and pids controllers mounted writable (this project's)."""
    import os

    return os.geteuid() == 0 and all(os.access(f"/sys/fs/cgroup/{c}", os.W_OK) for c in ("memory", "pids"))
