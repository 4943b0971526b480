"""The archive's periodic jobs: archive every minute, compact closed months every hour.

Both take the archive's advisory lock, so overlapping runs on several workers wait their turn,
and both repair first whatever a killed run left, so running them twice is harmless.
"""

from __future__ import annotations

import logging

from ai_goals_tracker.events.archive import apply_retention, archive_pending, compact
from ai_goals_tracker.events.store import ArchiveStore
from ai_goals_tracker.jobs import ARCHIVE_PRIORITY, job_app, runtime

logger = logging.getLogger(__name__)


@job_app.periodic(cron="* * * * *", periodic_id="archive_events")
@job_app.task(queue="events", queueing_lock="archive_events", priority=ARCHIVE_PRIORITY)
async def archive_events(timestamp: int) -> None:
    """Move unarchived events to Parquet, then apply the retention period when one is set."""
    job_runtime = runtime()
    store = ArchiveStore.open(job_runtime.settings.archive_root)
    report = await archive_pending(job_runtime.sessionmaker, store)
    if report.archived or report.adopted_files or report.discarded_files:
        logger.info(
            "Archived %d events into %d files (adopted %d, discarded %d)",
            report.archived,
            len(report.files_written),
            report.adopted_files,
            report.discarded_files,
        )
    retention_days = job_runtime.settings.events_retention_days
    if retention_days is not None:
        await apply_retention(job_runtime.sessionmaker, store, retention_days)


@job_app.periodic(cron="17 * * * *", periodic_id="compact_event_archive")
@job_app.task(queue="events", queueing_lock="compact_event_archive", priority=ARCHIVE_PRIORITY)
async def compact_event_archive(timestamp: int) -> None:
    """Merge the part files of months that have ended into the seed's one file per category."""
    job_runtime = runtime()
    report = await compact(
        job_runtime.sessionmaker, ArchiveStore.open(job_runtime.settings.archive_root), closed_only=True
    )
    for path in report.compacted:
        logger.info("Compacted %s", path)
