"""Housekeeping jobs: bring back the jobs of workers that died mid-job."""

from __future__ import annotations

import logging

from procrastinate import JobContext

from ai_goals_tracker.jobs import MAINTENANCE_PRIORITY, STALL_CHECK_CRON, job_app, runtime

logger = logging.getLogger(__name__)


@job_app.periodic(cron=STALL_CHECK_CRON, periodic_id="retry_stalled_jobs")
@job_app.task(queue="maintenance", queueing_lock="retry_stalled_jobs", priority=MAINTENANCE_PRIORITY, pass_context=True)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> None:
    """A job whose worker stopped sending heartbeats (killed, crashed) is put back in the queue."""
    assert context.app is not None
    manager = context.app.job_manager
    stalled_after = runtime().settings.stalled_worker_seconds
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        logger.warning("Retrying job %s (%s): its worker stopped", job.id, job.task_name)
        await manager.retry_job(job)
