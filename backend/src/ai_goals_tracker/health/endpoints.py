"""`GET /health`: 200 when the database, a job worker and the queues are all well, else 503 naming
what is down, so a load balancer or a supervisor can act on it. `GET /metrics`: what operators scrape.

Health is the server's, not one learner's: the queue counts as lagging only when a job that could
run now (not held back by its learner's own running job, nor waiting its turn for a test-run slot
in use) has waited past its due time for longer than `QUEUE_LAG_LIMIT_SECONDS`. A learner's backlog
is a metric (`aigt_learner_backlog_max_jobs`), not a failure."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolCheckoutTimeout

from ai_goals_tracker.db.session import UnitOfWorkRoute
from ai_goals_tracker.deps import SettingsDep
from ai_goals_tracker.health import repository
from ai_goals_tracker.health.sandbox_mode import SandboxMode, sandbox_mode
from ai_goals_tracker.metrics import CONTENT_TYPE, exposition, set_backlog
from ai_goals_tracker.sandbox import sandbox_bounds, sandbox_status

router = APIRouter(route_class=UnitOfWorkRoute, tags=["health"])
metrics_router = APIRouter(route_class=UnitOfWorkRoute, tags=["health"])

# A job that could run now and has waited longer than this means the workers are not keeping up
# (or none is running).
QUEUE_LAG_LIMIT_SECONDS = 120.0

Status = Literal["ok", "down"]


class HealthRead(BaseModel):
    status: Literal["ok", "unavailable"]
    # `busy`: connected, but every pooled connection stayed in use for the pool's whole timeout.
    database: Literal["ok", "down", "busy"]
    pgvector: str | None
    worker: Status | None
    queue: Literal["ok", "lagging"] | None
    queue_lag_seconds: float | None
    down: list[str]
    sandbox: str = Field(
        description="The bubblewrap version that runs goals' tests, or `unavailable` (tests then need a person)."
    )
    sandbox_bounds: str = Field(
        description="What bounds one test run's total memory and processes: `cgroup v1`, `cgroup v2`, or "
        "`watchdog` (the server adds up the run's memory and threads) where no control group can be made."
    )
    sandbox_mode: Literal["warm", "cold", "checking"] | None = Field(
        default=None,
        description="`warm`: goals' Python tests fork from a jail kept running; `cold`: each starts a jail of "
        "its own (about 0.4 CPU s more per run), the reason in `sandbox_cold_reason`; `checking`: the first "
        "trial is still running; null without a sandbox.",
    )
    sandbox_cold_reason: str | None = None


@router.get("/health", response_model=HealthRead, responses={503: {"model": HealthRead}})
async def health(request: Request, settings: SettingsDep) -> JSONResponse:
    """Whether the database answers, a job worker is alive, and queued jobs are being picked up; and
    whether goals' tests can run (the sandbox, warm or cold), which does not make the service unavailable."""
    # The first call starts a trial jail, and a warm one in the background; later ones read the answers.
    probe = await asyncio.to_thread(sandbox_status, settings.sandbox_bwrap)
    mode = sandbox_mode() if probe.available else SandboxMode(None)
    sandbox = probe.detail if probe.available else "unavailable"
    bounds = sandbox_bounds()
    try:
        async with request.app.state.read_sessionmaker() as session:
            version = await repository.pgvector_version(session)
            workers = await repository.live_workers(session, settings.stalled_worker_seconds)
            lag = max((queue.lag_seconds for queue in await repository.queues(session)), default=0.0)
    except (DBAPIError, PoolCheckoutTimeout) as exc:
        report = HealthRead(
            status="unavailable",
            database="busy" if isinstance(exc, PoolCheckoutTimeout) else "down",
            pgvector=None,
            worker=None,
            queue=None,
            queue_lag_seconds=None,
            down=["database"],
            sandbox=sandbox,
            sandbox_bounds=bounds,
            sandbox_mode=mode.mode,
            sandbox_cold_reason=mode.cold_reason,
        )
        return JSONResponse(report.model_dump(), status_code=503, headers={"Retry-After": "5"})
    lagging = lag > QUEUE_LAG_LIMIT_SECONDS
    down = [name for name, failing in (("worker", workers == 0), ("queue", lagging)) if failing]
    report = HealthRead(
        status="unavailable" if down else "ok",
        database="ok",
        pgvector=version,
        worker="down" if workers == 0 else "ok",
        queue="lagging" if lagging else "ok",
        queue_lag_seconds=round(lag, 1),
        down=down,
        sandbox=sandbox,
        sandbox_bounds=bounds,
        sandbox_mode=mode.mode,
        sandbox_cold_reason=mode.cold_reason,
    )
    return JSONResponse(report.model_dump(), status_code=503 if down else 200)


@metrics_router.get("/metrics", response_class=Response, include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text: request latency, queue depth, wait and lag per queue, reviews by outcome, archive lag."""
    try:
        async with request.app.state.read_sessionmaker() as session:
            set_backlog(await repository.backlog(session))
    except (DBAPIError, PoolCheckoutTimeout):
        # This process's own figures are still worth scraping; the database's are then left out.
        set_backlog(None)
    return Response(exposition(), media_type=CONTENT_TYPE)
