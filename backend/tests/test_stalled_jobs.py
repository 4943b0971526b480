"""A worker killed mid-job: its jobs are handed back to the queue, and a job whose work is already
queued again (the same queueing lock) is aborted rather than blocking the jobs after it."""

from __future__ import annotations

import psycopg

from ai_goals_tracker.jobs import opened_job_app
from ai_goals_tracker.maintenance import archive_events, requeue_stalled_jobs
from ai_goals_tracker.snapshots.jobs import review_snapshot


async def test_stalled_jobs_are_requeued_and_a_queued_twin_is_not_doubled(database_url: str) -> None:
    async with opened_job_app(database_url) as job_app:
        manager = job_app.job_manager
        dead_worker = await manager.register_worker()
        archive_id = await archive_events.defer_async(timestamp=1)
        review_id = await review_snapshot.defer_async(snapshot_id="cs_stalled")
        taken = [await manager.fetch_job(queues=None, worker_id=dead_worker) for _ in range(2)]
        assert {job.id for job in taken if job is not None} == {archive_id, review_id}
        # The next periodic archive run is queued while the first one still counts as running.
        twin_id = await archive_events.defer_async(timestamp=2)
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            await conn.execute(
                "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour' WHERE id = %s",
                (dead_worker,),
            )
            await requeue_stalled_jobs(manager, stalled_after=60)
            rows = await (
                await conn.execute(
                    "SELECT id, status FROM procrastinate_jobs WHERE id = ANY(%s)", ([archive_id, review_id, twin_id],)
                )
            ).fetchall()
            await conn.execute("DELETE FROM procrastinate_jobs")
            await conn.execute("DELETE FROM procrastinate_workers WHERE id = %s", (dead_worker,))
    assert dict(rows) == {review_id: "todo", twin_id: "todo", archive_id: "aborted"}
