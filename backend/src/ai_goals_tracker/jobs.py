"""Durable jobs on PostgreSQL (procrastinate): the app, the worker, and deferring in a transaction.

Jobs take ids, are safe to run twice, and are deferred on the connection of the transaction that
writes the row they serve, so a job exists if and only if its row was committed.
Task modules register themselves on `job_app` through `JOB_MODULES`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import procrastinate
import psycopg
from procrastinate import PsycopgConnector
from procrastinate.exceptions import JobAborted
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision, RetryStrategy
from procrastinate.worker import Worker
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ai_goals_tracker.config import Settings, get_settings
from ai_goals_tracker.db.engine import create_engine, create_sessionmaker
from ai_goals_tracker.db.outage import database_unreachable
from ai_goals_tracker.db.server import libpq_dsn
from ai_goals_tracker.events.follower import catch_up, follow_forever

logger = logging.getLogger(__name__)

# Modules whose import registers tasks on `job_app`.
JOB_MODULES: list[str] = [
    "ai_goals_tracker.maintenance",
    "ai_goals_tracker.snapshots.jobs",
    "ai_goals_tracker.search.jobs",
]

_connector = PsycopgConnector()
job_app = procrastinate.App(connector=_connector, import_paths=JOB_MODULES)


def every_seconds_cron(seconds: float) -> str:
    """Once a minute, or for a shorter period every so many whole seconds (procrastinate's sixth field)."""
    if seconds >= 60:
        return "* * * * *"
    return f"* * * * * */{max(1, int(seconds))}"


def stall_check_cron(stalled_worker_seconds: float) -> str:
    """Once a minute by default; a shorter stall timeout is checked within a third of its length."""
    return every_seconds_cron(60 if stalled_worker_seconds >= 30 else stalled_worker_seconds // 3)


# procrastinate reads a periodic task's schedule when its module is imported, before any worker
# is given its settings: the schedules follow the environment's.
STALL_CHECK_CRON = stall_check_cron(get_settings().stalled_worker_seconds)
ARCHIVE_CRON = every_seconds_cron(get_settings().archive_every_seconds)

SHUTDOWN_GRACE_SECONDS = 2.0

# Blocking start-up work of job modules (warming analyzer processes), run before the first job.
WORKER_STARTUP_HOOKS: list[Callable[[], None]] = []


@dataclass
class JobRuntime:
    """What running jobs need: the settings and a session factory of their own."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]


_runtime: JobRuntime | None = None


def runtime() -> JobRuntime:
    if _runtime is None:
        raise RuntimeError("jobs run only inside `run_worker` (aigt worker, or aigt serve)")
    return _runtime


class RetryThroughOutages(BaseRetryStrategy):
    """`strategy`, except that a run that failed because the database was unreachable is retried
    every second for as long as the outage lasts: a longer back-off would leave the job (and, through
    its lock, every later job of its user) waiting long after the database is back. A run its worker
    cancelled as it stopped (SIGTERM, Ctrl-C, past the grace) is handed back to the queue at once,
    whatever its attempts: stopping a worker loses no job."""

    def __init__(self, strategy: RetryStrategy) -> None:
        self.strategy = strategy

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, asyncio.CancelledError | JobAborted):
            return RetryDecision(retry_in={"seconds": 0})
        if database_unreachable(exception):
            return RetryDecision(retry_in={"seconds": 1})
        decision: RetryDecision | None = self.strategy.get_retry_decision(exception=exception, job=job)
        return decision


# Job priorities, higher first: a learner waits for a review, while embeddings and the archive may lag.
REVIEW_PRIORITY = 20
MAINTENANCE_PRIORITY = 10
EMBEDDING_PRIORITY = 0
ARCHIVE_PRIORITY = -10


def user_lock(user_id: str | None) -> str | None:
    """The lock every job done for one user takes: procrastinate runs one job per lock at a time
    (higher priority first), so one user's work never holds more than one worker slot."""
    return f"user:{user_id}" if user_id is not None else None


# Reviews that run a goal's tests (seconds each, in the sandbox) have a queue of their own, served by
# worker slots of their own (`Settings.test_run_concurrency`): the other slots never take one, so a
# static review never waits behind a test run, however many accounts submit them.
TEST_RUN_QUEUE = "tests"
# The most turns a learner's queued test runs can be put back by (see `test_run_priority`).
_MAX_TURNS = 1000


def test_run_lock(user_id: str) -> str:
    """One test run per learner at a time, apart from their other work (`user_lock`): a learner's
    queued test run does not hold back their own static reviews and embeddings."""
    return f"tests:{user_id}"


_TEST_RUNS_OF_SQL = text("SELECT count(*) FROM procrastinate_jobs WHERE lock = :lock AND status IN ('todo', 'doing')")


async def test_run_priority(session: AsyncSession, user_id: str) -> int:
    """Test runs take turns across learners: a learner's next run ranks below the runs they already
    have queued or running, so another learner's first run goes before their second (procrastinate
    runs the highest priority first, then the oldest)."""
    turns = int(await session.scalar(_TEST_RUNS_OF_SQL, {"lock": test_run_lock(user_id)}) or 0)
    return REVIEW_PRIORITY - min(turns, _MAX_TURNS)


async def defer_in_transaction(
    session: AsyncSession,
    task: Any,
    *,
    lock: str | None = None,
    queueing_lock: str | None = None,
    queue: str | None = None,
    priority: int | None = None,
    **kwargs: Any,
) -> None:
    """Defer `task` on the session's own connection: committed, or rolled back, with the change."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    options: dict[str, Any] = {"connection": raw.driver_connection}
    for name, value in (("lock", lock), ("queueing_lock", queueing_lock), ("queue", queue), ("priority", priority)):
        if value is not None:
            options[name] = value
    await task.configure(**options).defer_async(**kwargs)


async def queued_locks(session: AsyncSession, queueing_locks: Sequence[str]) -> set[str]:
    """Which of these queueing locks a waiting job holds already (deferring another would fail)."""
    if not queueing_locks:
        return set()
    rows = await session.execute(
        text("SELECT queueing_lock FROM procrastinate_jobs WHERE status = 'todo' AND queueing_lock = ANY(:locks)"),
        {"locks": list(queueing_locks)},
    )
    return set(rows.scalars())


@asynccontextmanager
async def opened_job_app(dsn: str) -> AsyncIterator[procrastinate.App]:
    """`job_app` connected to `dsn` (its tasks and periodic schedule are bound to this one app)."""
    # Each of a process's two procrastinate workers (test runs, the rest) holds one connection to
    # listen on; the others serve fetching, heartbeats and job updates. Each is checked as it is
    # handed out: a connection from before a database restart is replaced, not used.
    pool = AsyncConnectionPool(
        libpq_dsn(dsn), min_size=1, max_size=6, open=False, check=AsyncConnectionPool.check_connection
    )
    await pool.open(wait=True)
    try:
        async with job_app.open_async(pool=pool):
            yield job_app
    finally:
        await pool.close()
        # procrastinate keeps a pool it was given even once closed, and would hand the closed one to
        # the next worker started in this process (tests, a restarted in-process worker): forget it.
        _connector._async_pool = None


@asynccontextmanager
async def job_runtime(settings: Settings, dsn: str, *, pool_size: int = 3) -> AsyncIterator[JobRuntime]:
    """Make `runtime()` available to job code (the worker's, or a test's calling a job directly)."""
    global _runtime
    engine = create_engine(dsn, pool_size=pool_size, max_overflow=2)
    _runtime = JobRuntime(settings=settings, engine=engine, sessionmaker=create_sessionmaker(engine))
    try:
        yield _runtime
    finally:
        _runtime = None
        await engine.dispose()


async def run_worker(
    settings: Settings,
    dsn: str,
    *,
    concurrency: int = 2,
    wait: bool = True,
    queues: Sequence[str] | None = None,
) -> None:
    """Run jobs and the event log's followers until cancelled (`wait=False`: until both are idle).

    The worker outlives the database: when PostgreSQL goes away (a restart, a failover) the worker
    stops with an error, and this loop starts a fresh one, with fresh connections, as soon as the
    server answers again. Jobs the failed worker had started go back in the queue at once.
    """
    # The job modules register the tasks, the followers and the start-up hooks.
    job_app.perform_import_paths()  # type: ignore[no-untyped-call]
    async with job_runtime(settings, dsn, pool_size=1):
        await _warm_up()
    if not wait:
        await _drain(settings, dsn, concurrency, queues)
        return
    delay = RESTART_DELAYS[0]
    # The worker of the previous round: the jobs it started and could not finish go back in the queue.
    stopped: list[Worker] = []
    while True:
        began = time.monotonic()
        try:
            await _run_until_failure(settings, dsn, concurrency, queues, stopped)
        except (OSError, psycopg.Error, DBAPIError, procrastinate.exceptions.ProcrastinateException) as exc:
            # A worker that ran a while before failing starts again quickly; one that keeps failing
            # at once (the server is still down) backs off.
            delay = RESTART_DELAYS[0] if time.monotonic() - began > RESTART_DELAYS[-1] else _next_delay(delay)
            logger.warning("Job worker stopped (%s); starting again in %.1f s", exc, delay)
        await asyncio.sleep(delay)


# How often an idle worker asks for jobs besides being notified of new ones. procrastinate is not
# notified when a running job ends, and the next job of the same user (same lock) becomes runnable
# only then: at its default of 5 s, a user's queued jobs ran one per 5 s.
FETCH_POLL_SECONDS = 0.5

# Seconds between restarts of a failing worker: quick first, then at most every 5 s.
RESTART_DELAYS = (0.5, 1.0, 2.0, 5.0)


def _next_delay(delay: float) -> float:
    return next((value for value in RESTART_DELAYS if value > delay), RESTART_DELAYS[-1])


async def _warm_up() -> None:
    for hook in WORKER_STARTUP_HOOKS:
        await asyncio.to_thread(hook)


def _worker(
    settings: Settings, app: procrastinate.App, concurrency: int, wait: bool, queues: Sequence[str] | None
) -> Worker:
    return Worker(
        app,
        queues=list(queues) if queues is not None else None,
        concurrency=concurrency,
        wait=wait,
        fetch_job_polling_interval=FETCH_POLL_SECONDS,
        install_signal_handlers=False,
        update_heartbeat_interval=settings.job_heartbeat_seconds,
        stalled_worker_timeout=settings.stalled_worker_seconds,
        delete_jobs="successful",
        # On shutdown (Ctrl-C) running jobs get a short grace, then are cancelled and retried later (a
        # review in progress is stopped by killing its helper process). Draining lets every job finish.
        shutdown_graceful_timeout=SHUTDOWN_GRACE_SECONDS if wait else None,
    )


def worker_slots(
    settings: Settings, app: procrastinate.App, concurrency: int, wait: bool, queues: Sequence[str] | None
) -> list[Worker]:
    """The slots of every queue but the test runs', and the test runs' own (when they are served)."""
    wanted = set(queues) if queues is not None else {task.queue for task in app.tasks.values()} | {TEST_RUN_QUEUE}
    others = sorted(wanted - {TEST_RUN_QUEUE})
    workers = [_worker(settings, app, concurrency, wait, others)] if others else []
    if TEST_RUN_QUEUE in wanted:
        workers.append(_worker(settings, app, settings.test_run_concurrency, wait, [TEST_RUN_QUEUE]))
    return workers


async def _run(worker: Worker) -> None:
    await worker.run()  # type: ignore[no-untyped-call]  # procrastinate leaves Worker.run unannotated


async def _run_until_failure(
    settings: Settings, dsn: str, concurrency: int, queues: Sequence[str] | None, stopped: list[Worker]
) -> None:
    """One worker and the followers, until the worker stops; always raises, saying why."""
    async with job_runtime(settings, dsn, pool_size=concurrency + 2) as jobs, opened_job_app(dsn) as app:
        for previous in stopped:
            if previous.worker_id is not None:
                await _requeue_jobs_of(app, previous.worker_id)
        workers = worker_slots(settings, app, concurrency, True, queues)
        stopped[:] = workers
        tasks = [
            *(asyncio.create_task(_run(worker), name=f"aigt-job-worker-{n}") for n, worker in enumerate(workers)),
            asyncio.create_task(follow_forever(jobs.sessionmaker), name="aigt-event-followers"),
        ]
        try:
            done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            error = task.exception()
            if error is not None:
                raise error
        # procrastinate stops its worker without raising when a side task (the listener, the
        # heartbeat) failed: the connection broke. Start again all the same.
        raise procrastinate.exceptions.ProcrastinateException(f"{next(iter(done)).get_name()} stopped")


async def _requeue_jobs_of(app: procrastinate.App, worker_id: int) -> None:
    """The jobs a failed worker of this process had started: none of them runs any more (the
    worker waited for them before stopping), so they go back in the queue now rather than after
    the stall timeout."""
    rows = await app.connector.execute_query_all_async(
        "SELECT id FROM procrastinate_jobs WHERE status = 'doing' AND worker_id = %(worker_id)s", worker_id=worker_id
    )
    for row in rows:
        await app.job_manager.retry_job_by_id_async(row["id"], retry_at=datetime.now(UTC))
        logger.warning("Retrying job %s: its worker lost the database", row["id"])
    await app.job_manager.unregister_worker(worker_id)


async def _drain(settings: Settings, dsn: str, concurrency: int, queues: Sequence[str] | None) -> None:
    """Followers and jobs until neither has anything left: a job's events can need following,
    following can defer jobs, and a worker told not to wait stops as soon as the jobs left are
    held back by a lock (one user's jobs run one at a time)."""
    async with job_runtime(settings, dsn, pool_size=concurrency + 2) as jobs, opened_job_app(dsn) as app:
        while True:
            followed = await catch_up(jobs.sessionmaker)
            await _run(_worker(settings, app, concurrency, False, queues))
            if followed == 0 and not await _jobs_due(app, queues) and await catch_up(jobs.sessionmaker) == 0:
                return


_JOBS_DUE_SQL = """
SELECT 1 FROM procrastinate_jobs j
WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
  AND (%(queues)s::varchar[] IS NULL OR j.queue_name = ANY(%(queues)s::varchar[]))
  AND NOT EXISTS (
      SELECT 1 FROM procrastinate_jobs d
      WHERE j.lock IS NOT NULL AND d.lock = j.lock
        AND (d.status = 'doing'
             OR (d.status = 'todo' AND (d.priority > j.priority OR (d.priority = j.priority AND d.id < j.id))))
  )
LIMIT 1
"""


async def _jobs_due(app: procrastinate.App, queues: Sequence[str] | None) -> bool:
    """Whether a job could run now: due, and not held back by its lock. Procrastinate's own rule:
    a job waits while one with its lock runs, or waits ahead of it (higher priority, or the same
    and queued first) — maybe in a queue this drain does not take, which would otherwise keep the
    drain spinning for ever."""
    wanted = list(queues) if queues is not None else None
    rows = await app.connector.execute_query_all_async(_JOBS_DUE_SQL, queues=wanted)
    return bool(rows)


def start_worker_task(settings: Settings, dsn: str) -> asyncio.Task[None]:
    """The in-process worker of `aigt serve`."""
    return asyncio.create_task(run_worker(settings, dsn), name="aigt-worker")
