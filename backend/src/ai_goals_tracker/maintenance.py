"""Housekeeping jobs: bring back the jobs of workers that died mid-job; archive the event log.

The archive's jobs live here, above `events/`, because they register on the job app (`jobs.py`),
whose worker also runs the event followers. Both archive jobs take the archive's advisory lock, so
overlapping runs on several workers wait their turn, and both repair first whatever a killed run
left, so running them twice is harmless.
"""

from __future__ import annotations

import logging

from procrastinate import JobContext
from procrastinate.exceptions import UniqueViolation
from procrastinate.jobs import Status
from procrastinate.manager import JobManager

from ai_goals_tracker.events.archive import apply_retention, archive_pending, compact
from ai_goals_tracker.events.store import ArchiveStore
from ai_goals_tracker.jobs import (
    ARCHIVE_CRON,
    ARCHIVE_PRIORITY,
    MAINTENANCE_PRIORITY,
    STALL_CHECK_CRON,
    job_app,
    runtime,
)

logger = logging.getLogger(__name__)
# The archive jobs' names from before they moved here: jobs already queued keep finding their task.
_ARCHIVE_TASKS = "ai_goals_tracker.events.jobs"


@job_app.periodic(cron=STALL_CHECK_CRON, periodic_id="retry_stalled_jobs")
@job_app.task(queue="maintenance", queueing_lock="retry_stalled_jobs", priority=MAINTENANCE_PRIORITY, pass_context=True)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> None:
    """A job whose worker stopped sending heartbeats (killed, crashed) is put back in the queue."""
    assert context.app is not None
    await requeue_stalled_jobs(context.app.job_manager, runtime().settings.stalled_worker_seconds)


async def requeue_stalled_jobs(manager: JobManager, stalled_after: float) -> None:
    """Put each stalled job back in the queue, unless a job with its queueing lock already waits there.

    Such a twin does the same work (the same entity version embedded, the same archive run), and
    PostgreSQL refuses a second waiting job with that lock: the stalled one is aborted instead, so it
    neither runs twice nor stops the jobs after it from being requeued.
    """
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        assert job.id is not None
        try:
            await manager.retry_job(job)
        except UniqueViolation:
            logger.warning(
                "Aborting job %s (%s): its worker stopped and the same work is queued", job.id, job.task_name
            )
            await manager.finish_job_by_id_async(job.id, status=Status.ABORTED, delete_job=False)
        else:
            logger.warning("Retrying job %s (%s): its worker stopped", job.id, job.task_name)


@job_app.periodic(cron=ARCHIVE_CRON, periodic_id="archive_events")
@job_app.task(
    name=f"{_ARCHIVE_TASKS}.archive_events",
    queue="events",
    queueing_lock="archive_events",
    priority=ARCHIVE_PRIORITY,
)
async def archive_events(timestamp: int) -> None:
    """Move unarchived events to Parquet, then apply the retention period when one is set."""
    job_runtime = runtime()
    store = ArchiveStore.open(job_runtime.settings.archive_root)
    report = await archive_pending(job_runtime.sessionmaker, store)
    if report.archived or report.adopted_files or report.discarded_files:
        logger.info(
            "Archived %d events into %d files (adopted %d, discarded %d); %d left for a later run",
            report.archived,
            len(report.files_written),
            report.adopted_files,
            report.discarded_files,
            report.left_for_later,
        )
    retention_days = job_runtime.settings.events_retention_days
    if retention_days is not None:
        await apply_retention(job_runtime.sessionmaker, store, retention_days)


@job_app.periodic(cron="17 * * * *", periodic_id="compact_event_archive")
@job_app.task(
    name=f"{_ARCHIVE_TASKS}.compact_event_archive",
    queue="events",
    queueing_lock="compact_event_archive",
    priority=ARCHIVE_PRIORITY,
)
async def compact_event_archive(timestamp: int) -> None:
    """Merge the part files of months that have ended into the seed's one file per category."""
    job_runtime = runtime()
    report = await compact(
        job_runtime.sessionmaker, ArchiveStore.open(job_runtime.settings.archive_root), closed_only=True
    )
    for path in report.compacted:
        logger.info("Compacted %s", path)
