"""The event archive: events leave PostgreSQL for hive-partitioned Parquet, exactly once.

Three parts: the file store (events/store.py: layout, atomic writes), the SQL on the events table
(events/repository.py) and the crash recovery (events/recovery.py: what a killed run left, and
compaction's two phases). This module runs them: archive, compact, apply retention. Each run first
repairs what a killed one left, then works inside a transaction holding the archive's lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pyarrow as pa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.db.engine import unit_of_work
from ai_goals_tracker.events import repository
from ai_goals_tracker.events.columns import events_table
from ai_goals_tracker.events.recovery import (
    ArchiveReport,
    finish_compactions,
    listing,
    merge,
    reconcile_parts,
    recover,
)
from ai_goals_tracker.events.store import ArchiveStore, current_month

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 50_000


async def archive_pending(
    sessionmaker: async_sessionmaker[AsyncSession],
    store: ArchiveStore,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[int, list[str]], None] | None = None,
) -> ArchiveReport:
    """Archive every unarchived event, one transaction per batch, repairing first what a killed run left."""
    report = ArchiveReport()
    while True:
        await recover(sessionmaker, store, report)
        async with unit_of_work(sessionmaker) as session:
            await repository.lock_archive(session)
            files = await listing(store)
            if any(f.kind in ("manifest", "temp") for f in files):
                # Another process died mid-compaction since our recovery: repair again first.
                continue
            await reconcile_parts(session, store, files, report)
            written_before = len(report.files_written)
            claimed = await _archive_batch(session, store, batch_size, report)
        if on_batch is not None and claimed:
            on_batch(claimed, report.files_written[written_before:])
        if claimed < batch_size:
            return report


async def _archive_batch(session: AsyncSession, store: ArchiveStore, batch_size: int, report: ArchiveReport) -> int:
    """Claim and mark a batch in one statement, then write its part files; the caller commits.

    The rows are marked before their files exist, but in this uncommitted transaction: if the
    files are not all written, the transaction rolls back and nothing was marked.
    """
    processed_at = datetime.now(UTC)
    rows = await repository.claim_and_mark(session, batch_size, processed_at)
    if not rows:
        return 0
    by_path: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_path[row[-1]].append(index)
    table = events_table([row[:-1] for row in rows], processed_at)

    def write() -> None:
        for path, indices in by_path.items():
            # Part files keep the log's order, as they did when rows were written one batch at a time.
            part = table.take(pa.array(indices)).sort_by([("created_at", "ascending"), ("id", "ascending")])
            store.write_atomically(part, store.absolute(path))

    await asyncio.to_thread(write)
    report.archived += len(rows)
    report.files_written.extend(by_path)
    return len(rows)


async def compact(
    sessionmaker: async_sessionmaker[AsyncSession],
    store: ArchiveStore,
    *,
    closed_only: bool = False,
    report: ArchiveReport | None = None,
    on_merge: Callable[[str], None] | None = None,
) -> ArchiveReport:
    """Merge each month's part files into its one file per category (`closed_only`: months before this one)."""
    report = report or ArchiveReport()
    await recover(sessionmaker, store, report)
    this_month = current_month()
    async with unit_of_work(sessionmaker) as session:
        await repository.lock_archive(session)
        await reconcile_parts(session, store, await listing(store), report)
        files = await listing(store)
        targets = sorted(
            {(f.month, f.category) for f in files if f.kind == "part" and not (closed_only and f.month >= this_month)}
        )
        for month, category in targets:
            await merge(session, store, month, category, files, report)
            if on_merge is not None:
                on_merge(report.compacted[-1])
    await finish_compactions(sessionmaker, store)
    return report


async def apply_retention(
    sessionmaker: async_sessionmaker[AsyncSession],
    store: ArchiveStore,
    retention_days: int,
    *,
    report: ArchiveReport | None = None,
) -> ArchiveReport:
    """Delete archived events older than `retention_days` from the table, only those their
    Parquet file was read back and found to hold, and that every follower of the log has read."""
    report = report or ArchiveReport()
    cutoff = datetime.now(UTC) - timedelta(days=retention_days)
    async with unit_of_work(sessionmaker) as session:
        await repository.lock_archive(session)
        for path, ids in await repository.expired_by_file(session, cutoff):
            absolute = store.absolute(path)
            if not await asyncio.to_thread(store.exists, absolute):
                logger.error("Keeping %d archived events: their file %s is missing", len(ids), path)
                continue
            in_file = set(await asyncio.to_thread(store.read_ids, absolute))
            confirmed = [event_id for event_id in ids if event_id in in_file]
            if len(confirmed) != len(ids):
                logger.error("Keeping %d events that %s does not hold", len(ids) - len(confirmed), path)
            report.deleted_rows += await repository.delete_events(session, confirmed)
    return report
