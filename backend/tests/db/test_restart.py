"""After the database restarts, the next request works: every pooled connection the server ended is
replaced as it is drawn (without a round trip), for the API, the dashboard and the worker's jobs.

The restart is PostgreSQL ending every connection of the database, as a restart or a failover does
(`pg_terminate_backend`: the same message and closed socket), without stopping the server that the
other tests of this process share."""

from __future__ import annotations

import asyncio

import httpx
import psycopg
from fastapi import FastAPI
from sqlalchemy import text

from ai_goals_tracker.config import Settings
from ai_goals_tracker.jobs import job_runtime
from tests.helpers import API, register_and_login
from tests.web.helpers import web_login

ROUNDS = 6


async def _end_every_connection(database_url: str) -> None:
    """Every other backend of the database ends, and is gone, before this returns."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        for _ in range(600):
            row = await (
                await conn.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).fetchone()
            if row is not None and row[0] == 0:
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the connections never ended")


async def test_requests_right_after_a_restart_succeed(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, settings: Settings
) -> None:
    ana = await register_and_login(client, "restarted")
    goal = (await client.post(f"{API}/goals", json={"title": "Survive restarts"}, headers=ana.headers)).json()
    await web_login(client, "restarted")
    async with job_runtime(settings, database_url) as jobs:
        # Fill the pools: requests side by side hold several connections of each engine at once.
        await asyncio.gather(*(client.get(f"{API}/goals/{goal['id']}", headers=ana.headers) for _ in range(ROUNDS)))
        await asyncio.gather(*(client.get(f"{API}/goals", headers=ana.headers) for _ in range(ROUNDS)))

        async def job_query() -> int:
            async with jobs.sessionmaker() as session:
                return int(await session.scalar(text("SELECT 1")) or 0)

        await asyncio.gather(*(job_query() for _ in range(3)))
        await _end_every_connection(database_url)

        answers = await asyncio.gather(
            *(client.get(f"{API}/goals/{goal['id']}", headers=ana.headers) for _ in range(ROUNDS)),
            *(client.get(f"{API}/goals", headers=ana.headers) for _ in range(ROUNDS)),
            *(
                client.post(f"{API}/goals", json={"title": f"Written after {n}"}, headers=ana.headers)
                for n in range(ROUNDS)
            ),
            client.get("/"),
            client.get(f"/goals/{goal['id']}"),
        )
        from_jobs = await asyncio.gather(*(job_query() for _ in range(3)))
    assert [answer.status_code for answer in answers] == [200] * (2 * ROUNDS) + [201] * ROUNDS + [200, 200], [
        answer.text[:200] for answer in answers if answer.status_code >= 400
    ]
    assert from_jobs == [1, 1, 1]
