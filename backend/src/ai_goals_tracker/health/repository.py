"""What `/health` and `/metrics` read: the database itself, the job workers' heartbeats, the queues'
backlog, the event archive's."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.events import repository as events
from ai_goals_tracker.jobs import TEST_RUN_QUEUE
from ai_goals_tracker.metrics import Backlog, QueueState


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


# Each queued job, with how long it has waited since it was due (deferred, or scheduled for later) and
# whether it could run now. It could not while procrastinate holds it back by its lock (one job per
# lock at a time: a learner's backlog waits behind their own running job, by design), nor, for a
# test run, while another test run is in progress (test runs take turns in slots of their own).
_QUEUED_SQL = f"""
SELECT j.queue_name, j.status::text AS status,
       CASE WHEN j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
            THEN extract(epoch FROM now() - greatest(e.at, coalesce(j.scheduled_at, e.at))) END AS waited,
       j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
         AND NOT EXISTS (
             SELECT 1 FROM procrastinate_jobs d
             WHERE j.lock IS NOT NULL AND d.lock = j.lock
               AND (d.status = 'doing'
                    OR (d.status = 'todo' AND (d.priority > j.priority OR (d.priority = j.priority AND d.id < j.id))))
         )
         AND NOT (j.queue_name = '{TEST_RUN_QUEUE}' AND EXISTS (
             SELECT 1 FROM procrastinate_jobs r WHERE r.queue_name = '{TEST_RUN_QUEUE}' AND r.status = 'doing'
         )) AS runnable
FROM procrastinate_jobs j
LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'
WHERE j.status IN ('todo', 'doing')
"""  # noqa: S608  (constants only)

_QUEUES_SQL = text(f"""
SELECT queue_name,
       count(*) FILTER (WHERE status = 'todo') AS todo,
       count(*) FILTER (WHERE status = 'doing') AS doing,
       coalesce(max(waited), 0) AS wait_seconds,
       coalesce(max(waited) FILTER (WHERE runnable), 0) AS lag_seconds
FROM ({_QUEUED_SQL}) AS queued
GROUP BY queue_name ORDER BY queue_name
""")  # noqa: S608  (constants only)

_LEARNER_BACKLOG_SQL = text(
    "SELECT coalesce(max(queued), 0) FROM (SELECT count(*) AS queued FROM procrastinate_jobs"
    " WHERE status = 'todo' AND lock IS NOT NULL GROUP BY lock) AS per_lock"
)


async def queues(session: AsyncSession) -> list[QueueState]:
    """Each queue's jobs waiting and running, its oldest due job's wait, and its lag: the oldest wait
    of a job that could run now, which says whether the workers keep up."""
    rows = (await session.execute(_QUEUES_SQL)).all()
    return [
        QueueState(
            queue=row.queue_name,
            todo=int(row.todo),
            doing=int(row.doing),
            wait_seconds=max(0.0, float(row.wait_seconds)),
            lag_seconds=max(0.0, float(row.lag_seconds)),
        )
        for row in rows
    ]


async def backlog(session: AsyncSession) -> Backlog:
    """What `/metrics` reports from the database."""
    learner = int(await session.scalar(_LEARNER_BACKLOG_SQL) or 0)
    pending, lag = await events.unarchived_tail_lag(session)
    return Backlog(
        queues=await queues(session),
        learner_backlog_max=learner,
        archive_pending=pending,
        archive_lag_seconds=lag,
    )
