"""`GET /health`: 200 when the database, a job worker and the queue are all well, else 503
naming what is down, so a load balancer or a supervisor can act on it."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolCheckoutTimeout

from ai_goals_tracker.db.session import UnitOfWorkRoute
from ai_goals_tracker.deps import SettingsDep
from ai_goals_tracker.health import repository
from ai_goals_tracker.sandbox import sandbox_bounds, sandbox_status

router = APIRouter(route_class=UnitOfWorkRoute, tags=["health"])

# Jobs due for longer than this mean the workers are not keeping up (or none is running).
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


@router.get("/health", response_model=HealthRead, responses={503: {"model": HealthRead}})
async def health(request: Request, settings: SettingsDep) -> JSONResponse:
    """Whether the database answers, a job worker is alive, and queued jobs are being picked up; and
    whether goals' tests can run (the sandbox), which does not make the service unavailable."""
    # The first call starts a trial jail; later ones read the cached answer.
    probe = await asyncio.to_thread(sandbox_status, settings.sandbox_bwrap)
    sandbox = probe.detail if probe.available else "unavailable"
    bounds = sandbox_bounds()
    try:
        async with request.app.state.read_sessionmaker() as session:
            version = await repository.pgvector_version(session)
            workers = await repository.live_workers(session, settings.stalled_worker_seconds)
            lag = await repository.queue_lag_seconds(session)
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
        )
        return JSONResponse(report.model_dump(), status_code=503, headers={"Retry-After": "5"})
    down = [name for name, failing in (("worker", workers == 0), ("queue", lag > QUEUE_LAG_LIMIT_SECONDS)) if failing]
    report = HealthRead(
        status="unavailable" if down else "ok",
        database="ok",
        pgvector=version,
        worker="down" if workers == 0 else "ok",
        queue="lagging" if lag > QUEUE_LAG_LIMIT_SECONDS else "ok",
        queue_lag_seconds=round(lag, 1),
        down=down,
        sandbox=sandbox,
        sandbox_bounds=bounds,
    )
    return JSONResponse(report.model_dump(), status_code=503 if down else 200)
