"""The event archive: events leave PostgreSQL for hive-partitioned Parquet, exactly once.

Three parts: the file store (events/store.py: layout, atomic writes), the SQL on the events table
(events/repository.py) and the crash recovery (events/recovery.py: what a killed run left, and
compaction's two phases). This module runs them: archive, compact, apply retention. Each run first
repairs what a killed one left, then works inside a transaction holding the archive's lock.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pyarrow as pa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.db.engine import unit_of_work
from ai_goals_tracker.db.server import libpq_dsn
from ai_goals_tracker.events import DEFAULT_ARCHIVE_BATCH_SIZE, repository
from ai_goals_tracker.events.columns import ARCHIVE_SCHEMA, log_table_from_csv
from ai_goals_tracker.events.recovery import (
    ArchiveReport,
    finish_compactions,
    listing,
    merge,
    reconcile_parts,
    recover,
)
from ai_goals_tracker.events.store import ArchiveStore, Month, current_month

logger = logging.getLogger(__name__)


async def archive_pending(
    sessionmaker: async_sessionmaker[AsyncSession],
    store: ArchiveStore,
    *,
    batch_size: int = DEFAULT_ARCHIVE_BATCH_SIZE,
    on_batch: Callable[[int, list[str]], None] | None = None,
) -> ArchiveReport:
    """Archive every unarchived event, one transaction per batch, repairing first what a killed run left."""
    report = ArchiveReport()
    # A blocking connection of its own copies each batch out (repository.copy_batch).
    reader: psycopg.Connection[Any] | None = None
    try:
        while True:
            await recover(sessionmaker, store, report)
            async with unit_of_work(sessionmaker) as session:
                await repository.lock_archive(session)
                files = await listing(store)
                if any(f.kind in ("manifest", "temp") for f in files):
                    # Another process died mid-compaction since our recovery: repair again first.
                    continue
                adopted_before = report.adopted_files
                await reconcile_parts(session, store, files, report)
                if report.adopted_files != adopted_before:
                    # The adoption must commit before a batch is copied: the reader's connection
                    # would not see its marks, and would copy the adopted events as unarchived.
                    continue
                reader = reader or await _connect_reader(session)
                written_before = len(report.files_written)
                claimed = await _archive_batch(session, reader, store, batch_size, report)
                if claimed < batch_size:
                    # The batch stopped short of the end of the table: what is after it was written by a
                    # transaction open when the batch was read (or since), which could yet precede it.
                    report.left_for_later = await repository.count_unarchived_tail(session)
            if on_batch is not None and claimed:
                on_batch(claimed, report.files_written[written_before:])
            if claimed < batch_size:
                return report
    finally:
        if reader is not None:
            reader.close()


async def _connect_reader(session: AsyncSession) -> psycopg.Connection[Any]:
    """A blocking connection to the session's database, for copying batches out in a thread."""
    dsn = libpq_dsn(session.get_bind().engine.url)
    connection: psycopg.Connection[Any] = await asyncio.to_thread(psycopg.connect, dsn)
    return connection


async def _archive_batch(
    session: AsyncSession,
    reader: psycopg.Connection[Any],
    store: ArchiveStore,
    batch_size: int,
    report: ArchiveReport,
) -> int:
    """Copy the next batch out, mark its rows in `session` while its part files are written, then
    move the archive's position past it; the caller commits.

    The rows are marked before their files exist, but in this uncommitted transaction: if the
    files are not all written, the transaction rolls back and nothing was marked. The rows are
    copied out on `reader`, a second connection, which sees only what this transaction has
    committed: a run that adopts a part file commits before it copies a batch.
    """
    after = await repository.archive_position(session)
    batch = await asyncio.to_thread(_copy_batch, reader, store, after, batch_size)
    if batch is None:
        return 0
    last, table, paths = batch
    processed_at = datetime.now(UTC)
    # PostgreSQL rewrites the rows while this process writes the files: the two take the time of the longer.
    marking = asyncio.create_task(repository.mark_batch(session, after, last, paths, processed_at))
    try:
        await asyncio.to_thread(_write_parts, store, table, paths, processed_at)
    finally:
        # The transaction must not end (commit or roll back) while the statement is still running.
        marked = await marking
    if marked != table.num_rows:
        raise RuntimeError(f"Marked {marked} events as archived but copied {table.num_rows}: rolling back the batch")
    await repository.save_archive_position(session, last)
    report.archived += table.num_rows
    report.files_written.extend(paths.values())
    return int(table.num_rows)


def _copy_batch(
    reader: psycopg.Connection[Any], store: ArchiveStore, after: repository.Position, batch_size: int
) -> tuple[repository.Position, pa.Table, dict[str, str]] | None:
    """The next batch (None if nothing is left to archive): the position of its last event, its
    rows with their part key, and the path of each part's file (relative to the root), named
    after the part's first and last event id."""
    copied = repository.copy_batch(reader, after, batch_size)
    if not copied:
        return None
    table = log_table_from_csv(copied, [pa.field(name, pa.string(), nullable=False) for name in ("txid", "part")])
    last = (table.column("txid")[-1].as_py(), table.column("id")[-1].as_py())
    ranges = table.group_by("part").aggregate([("id", "min"), ("id", "max")]).to_pylist()
    paths = {
        r["part"]: store.relative(store.part_path(*_month_and_category(r["part"]), r["id_min"], r["id_max"]))
        for r in ranges
    }
    return last, table.drop_columns("txid"), paths


def _month_and_category(part: str) -> tuple[Month, str]:
    """A part key as the events table computes it (`YYYY-MM category`, repository._PART_KEY)."""
    month, category = part.split(" ", 1)
    return (int(month[:4]), int(month[5:7])), category


def _write_parts(store: ArchiveStore, table: pa.Table, paths: dict[str, str], processed_at: datetime) -> None:
    """Write each part of a batch (its rows carry their part key) to its file, in the log's
    (created_at, id) order, as parts were when rows were written one batch at a time."""
    # One sort makes every part a contiguous slice.
    table = table.sort_by([("part", "ascending"), ("created_at", "ascending"), ("id", "ascending")])
    keys = table.column("part").to_pylist()
    rows = table.drop_columns("part")
    moment = pa.array([processed_at] * rows.num_rows, type=ARCHIVE_SCHEMA.field("processed_at").type)
    rows = rows.append_column(ARCHIVE_SCHEMA.field("processed_at"), moment)
    offset = 0
    for key, run in itertools.groupby(keys):
        part = rows.slice(offset, sum(1 for _ in run))
        store.write_atomically(part, store.absolute(paths[key]))
        offset += part.num_rows


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
