"""Durable jobs on PostgreSQL (procrastinate): the app, the worker, and deferring in a transaction.

Jobs take ids, are safe to run twice, and are deferred on the connection of the transaction that
writes the row they serve, so a job exists if and only if its row was committed.
Task modules register themselves on `job_app` through `JOB_MODULES`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import procrastinate
from procrastinate import PsycopgConnector
from psycopg_pool import AsyncConnectionPool
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ai_goals_tracker.config import Settings
from ai_goals_tracker.db.engine import create_engine, create_sessionmaker
from ai_goals_tracker.db.server import libpq_dsn

logger = logging.getLogger(__name__)

# Modules whose import registers tasks on `job_app`.
JOB_MODULES: list[str] = [
    "ai_goals_tracker.maintenance",
    "ai_goals_tracker.snapshots.jobs",
    "ai_goals_tracker.search.jobs",
    "ai_goals_tracker.events.jobs",
]

_connector = PsycopgConnector()
job_app = procrastinate.App(connector=_connector, import_paths=JOB_MODULES)


class _JobTiming(BaseSettings):
    """Read at import because the stall check's schedule is declared at import; tests shorten both
    (AIGT_JOB_HEARTBEAT_SECONDS, AIGT_STALLED_WORKER_SECONDS) to kill and replace workers quickly."""

    model_config = SettingsConfigDict(env_prefix="AIGT_", env_file=None, extra="ignore")

    job_heartbeat_seconds: float = Field(default=10.0, gt=0)
    stalled_worker_seconds: float = Field(default=30.0, gt=0)


_timing = _JobTiming()
# Heartbeats every 10 s; a worker silent for 30 s is dead and its running jobs are retried.
HEARTBEAT_SECONDS = _timing.job_heartbeat_seconds
STALLED_WORKER_SECONDS = _timing.stalled_worker_seconds
# Once a minute by default; a shorter stall timeout is checked within a third of its length.
STALL_CHECK_CRON = (
    "* * * * *" if STALLED_WORKER_SECONDS >= 30 else f"* * * * * */{max(1, int(STALLED_WORKER_SECONDS // 3))}"
)

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


async def defer_in_transaction(session: AsyncSession, task: Any, **kwargs: Any) -> None:
    """Defer `task` on the session's own connection: committed, or rolled back, with the change."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await task.configure(connection=raw.driver_connection).defer_async(**kwargs)


@asynccontextmanager
async def opened_job_app(dsn: str) -> AsyncIterator[procrastinate.App]:
    """`job_app` connected to `dsn` (its tasks and periodic schedule are bound to this one app)."""
    pool = AsyncConnectionPool(libpq_dsn(dsn), min_size=1, max_size=4, open=False)
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


async def run_worker(settings: Settings, dsn: str, *, concurrency: int = 2, wait: bool = True) -> None:
    """Run jobs until cancelled (`wait=False`: until the queue is empty)."""
    async with job_runtime(settings, dsn, pool_size=concurrency + 1):
        for hook in WORKER_STARTUP_HOOKS:
            await asyncio.to_thread(hook)
        async with opened_job_app(dsn) as app:
            await app.run_worker_async(
                concurrency=concurrency,
                wait=wait,
                install_signal_handlers=False,
                update_heartbeat_interval=HEARTBEAT_SECONDS,
                stalled_worker_timeout=STALLED_WORKER_SECONDS,
                delete_jobs="successful",
                **_shutdown_options(wait),
            )


def _shutdown_options(wait: bool) -> dict[str, Any]:
    """On shutdown (Ctrl-C) running jobs get a short grace, then are cancelled and retried later (a review
    in progress is cancelled by killing its helper process). Draining the queue lets every job finish."""
    return {"shutdown_graceful_timeout": SHUTDOWN_GRACE_SECONDS} if wait else {}


def start_worker_task(settings: Settings, dsn: str) -> asyncio.Task[None]:
    """The in-process worker of `aigt serve`."""
    return asyncio.create_task(run_worker(settings, dsn), name="aigt-worker")
