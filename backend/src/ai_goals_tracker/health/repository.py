"""What `/health` reads: the database itself, the job workers' heartbeats, the queue's backlog."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def pgvector_version(session: AsyncSession) -> str | None:
    version = await session.scalar(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
    return str(version) if version is not None else None


async def live_workers(session: AsyncSession, heartbeat_within_seconds: float) -> int:
    """Workers whose last heartbeat is recent enough for them to be alive."""
    count = await session.scalar(
        text(
            "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - make_interval(secs => :seconds)"
        ),
        {"seconds": heartbeat_within_seconds},
    )
    return int(count or 0)


async def queue_lag_seconds(session: AsyncSession) -> float:
    """How long the oldest job that is due has waited for a worker (0 with nothing waiting)."""
    lag = await session.scalar(
        text(
            "SELECT extract(epoch FROM now() - min(greatest(e.at, coalesce(j.scheduled_at, e.at))))"
            " FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'"
            " WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())"
        )
    )
    return max(0.0, float(lag or 0.0))
