from __future__ import annotations

import asyncio
from typing import Any

import httpx
import psycopg

from ai_goals_tracker.config import Settings
from ai_goals_tracker.health.endpoints import QUEUE_LAG_LIMIT_SECONDS
from ai_goals_tracker.jobs import run_worker
from tests.helpers import API, register_and_login
from tests.snapshots.helpers import run_reviews


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


async def _job(conn: psycopg.AsyncConnection[Any], queue: str, lock: str | None, status: str, waited: float) -> int:
    """A job of `queue` deferred `waited` seconds ago, in `status`."""
    row = await (
        await conn.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, lock, args, status, worker_id)"
            " VALUES (%s, 'review_snapshot', %s, '{}', %s, %s) RETURNING id",
            (queue, lock, status, await _live_worker(conn) if status == "doing" else None),
        )
    ).fetchone()
    assert row is not None
    await conn.execute(
        "UPDATE procrastinate_events SET at = now() - make_interval(secs => %s) WHERE job_id = %s", (waited, row[0])
    )
    return int(row[0])


async def _live_worker(conn: psycopg.AsyncConnection[Any]) -> int:
    row = await (await conn.execute("INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id")).fetchone()
    assert row is not None
    return int(row[0])


async def test_one_learners_backlog_is_a_metric_not_a_failure(client: httpx.AsyncClient, database_url: str) -> None:
    stale = QUEUE_LAG_LIMIT_SECONDS + 300
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("DELETE FROM procrastinate_workers")
        await _live_worker(conn)
        # One learner's review runs; their next five wait behind it (their lock), long past the limit.
        await _job(conn, "reviews", "user:usr_busy", "doing", stale + 10)
        for _ in range(5):
            await _job(conn, "reviews", "user:usr_busy", "todo", stale)
        # A test run is in progress; others wait for the test-run slot, long past the limit too.
        await _job(conn, "tests", "tests:usr_a", "doing", stale + 10)
        await _job(conn, "tests", "tests:usr_b", "todo", stale)
        try:
            health = await client.get("/health")
            metrics = await client.get("/metrics")
            # A job that could run and has waited that long is a server that does not keep up.
            await _job(conn, "reviews", "user:usr_idle", "todo", stale)
            lagging = await client.get("/health")
        finally:
            await conn.execute("DELETE FROM procrastinate_jobs")
            await conn.execute("DELETE FROM procrastinate_workers")
    assert health.status_code == 200, health.text
    assert (health.json()["queue"], health.json()["queue_lag_seconds"]) == ("ok", 0.0)
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    samples = _samples(metrics.text)
    assert samples["aigt_learner_backlog_max_jobs"] == 5
    assert samples['aigt_queue_jobs{queue="reviews",state="todo"}'] == 5
    assert samples['aigt_queue_jobs{queue="tests",state="doing"}'] == 1
    assert samples['aigt_queue_wait_seconds{queue="reviews"}'] >= stale
    assert samples['aigt_queue_lag_seconds{queue="reviews"}'] == 0
    assert samples['aigt_queue_lag_seconds{queue="tests"}'] == 0
    assert lagging.status_code == 503
    assert lagging.json()["down"] == ["queue"] and lagging.json()["queue_lag_seconds"] >= stale


async def test_metrics_expose_request_latency_reviews_and_the_archive_lag(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "measured")
    goal = (await client.post(f"{API}/goals", json={"title": "Measured"}, headers=user.headers)).json()
    task = await client.post(
        f"{API}/tasks", json={"goal_id": goal["id"], "title": "T", "task_type": "code"}, headers=user.headers
    )
    before = _samples((await client.get("/metrics")).text)
    submitted = await client.post(
        f"{API}/tasks/{task.json()['id']}/snapshots",
        json={"file_path": "hello.py", "code_content": "print('hello')\n"},
        headers=user.headers,
    )
    assert submitted.status_code == 202
    await client.get(f"{API}/goals/{goal['id']}", headers=user.headers)
    await run_reviews(settings, database_url)
    after = _samples((await client.get("/metrics")).text)

    route = 'method="GET",route="/api/v1/goals/{goal_id}",status="200"'
    assert after[f"aigt_http_request_duration_seconds_count{{{route}}}"] >= 1
    assert after['aigt_http_request_duration_seconds_bucket{le="+Inf",' + route + "}"] >= 1
    outcomes = ("passed", "failed", "not_reviewed")
    reviewed = sum(
        after[f'aigt_reviews_total{{outcome="{o}"}}'] - before[f'aigt_reviews_total{{outcome="{o}"}}'] for o in outcomes
    )
    assert reviewed == 1
    # Before the worker ran (the archive among its jobs): the events of the account, goal and task waited.
    assert before["aigt_archive_pending_events"] >= 3
    assert before["aigt_archive_lag_seconds"] > 0
    assert after["aigt_database_up"] == 1


def _samples(text: str) -> dict[str, float]:
    """The exposition's samples by their name and labels, as written."""
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


async def test_health_says_whether_goals_tests_run_warm_or_cold(client: httpx.AsyncClient) -> None:
    body = (await client.get("/health")).json()
    # The first answer may come while the trial run is still under way (it never waits for it).
    for _ in range(3000):
        if body["sandbox_mode"] != "checking":
            break
        await asyncio.sleep(0.1)
        body = (await client.get("/health")).json()
    if body["sandbox"] == "unavailable":
        assert (body["sandbox_mode"], body["sandbox_cold_reason"]) == (None, None)
        return
    # As a review's tests run here: forked from a warm jail, or each in a jail of its own, and why.
    from ai_goals_tracker.review.tests_check import default_jail
    from ai_goals_tracker.sandbox.jail import python_executable, python_runtimes

    run = await asyncio.to_thread(
        default_jail().run, [python_executable(), "-c", "pass"], {}, runtimes=python_runtimes()
    )
    assert body["sandbox_mode"] == ("warm" if run.warm else "cold")
    assert (body["sandbox_cold_reason"] is None) == run.warm
