"""Crash recovery: whoever takes the archive's lock first repairs what a killed run left.

The database is the source of truth for which file holds an event: `parquet_path` (relative to
the archive root) names it, and it is set in the locked transaction that commits once the files exist. Every step
that touches files runs inside a transaction holding the archive's lock, so a single archiver or
compactor works at a time, and the next one to take the lock finds:

- a `.tmp` file was never published: delete it;
- a part file whose events are not marked was published by a run killed before its commit:
  adopt it (mark its events with its path), unless some of them were archived since: then drop it;
- a part file whose events point elsewhere duplicates a compacted file: drop it;
- a compaction manifest means the merged file may hold parts the database does not point to yet:
  merge again (deduplicating by event id) and commit, then delete the parts.

Compaction is written here too, as its two phases are what recovery redoes. docs/events.md walks
through every instant a process can die and why none loses or duplicates an event.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.db.engine import unit_of_work
from ai_goals_tracker.events import repository
from ai_goals_tracker.events.store import PART_MARKER, ArchiveFile, ArchiveStore, Month, deduplicate

logger = logging.getLogger(__name__)


@dataclass
class ArchiveReport:
    archived: int = 0
    # Unarchived events the run had to leave: a transaction still open when it read the log could yet
    # write events before them, so they wait for a later run (see events/repository.py).
    left_for_later: int = 0
    files_written: list[str] = field(default_factory=list)
    adopted_files: int = 0
    discarded_files: int = 0
    compacted: list[str] = field(default_factory=list)
    deleted_rows: int = 0


async def listing(store: ArchiveStore) -> list[ArchiveFile]:
    return await asyncio.to_thread(store.list_files)


async def recover(sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore, report: ArchiveReport) -> None:
    """Repair what a killed archiver or compactor left: temporary files and half-done compactions."""
    async with unit_of_work(sessionmaker) as session:
        await repository.lock_archive(session)
        files = await listing(store)
        temporary = [f.path for f in files if f.kind == "temp"]
        manifests = [f for f in files if f.kind == "manifest"]
        if not temporary and not manifests:
            return
        for path in temporary:
            await asyncio.to_thread(store.delete, path)
            report.discarded_files += 1
        if manifests:
            await reconcile_parts(session, store, files, report)
            files = await listing(store)
            for manifest in manifests:
                await merge(session, store, manifest.month, manifest.category, files, report)
    if manifests:
        await finish_compactions(sessionmaker, store)


async def reconcile_parts(
    session: AsyncSession, store: ArchiveStore, files: list[ArchiveFile], report: ArchiveReport
) -> None:
    """Adopt part files a killed run published without committing; drop duplicated ones."""
    parts = [f for f in files if f.kind == "part" and f.first_id]
    if not parts:
        return
    states = await repository.row_states(session, (p.first_id for p in parts if p.first_id))
    for part in parts:
        assert part.first_id is not None
        relative = store.relative(part.path)
        state = states.get(part.first_id)
        if state is None:
            # Retention deleted the rows after counting them in this very file.
            continue
        marked, path = state
        if marked and path == relative:
            continue
        if not marked:
            ids = await asyncio.to_thread(store.read_ids, part.path)
            if await repository.count_unarchived(session, ids) == len(ids):
                await repository.mark(session, ids, relative, datetime.now(UTC))
                report.adopted_files += 1
                logger.warning("Adopted %s, published by an archiver that died before committing", relative)
                continue
        # Its events live in another file (or some do, and the rest will be archived again).
        await asyncio.to_thread(store.delete, part.path)
        report.discarded_files += 1


async def merge(
    session: AsyncSession,
    store: ArchiveStore,
    month: Month,
    category: str,
    files: list[ArchiveFile],
    report: ArchiveReport,
) -> None:
    """Compaction's phase one: the merged file replaces the month's file and the database points at it.

    The manifest is written before the merged file is published: until the database commit, the
    merged file may hold events the database still places in the parts, and the manifest tells
    the next run to finish the job rather than trust the parts.
    """
    parts = sorted(f.path for f in files if f.kind == "part" and f.month == month and f.category == category)
    main = store.main_path(month, category)
    manifest = store.manifest_path(month, category)
    if not parts:
        return

    def write_merged() -> list[str]:
        store.write_json_atomically({"parts": [store.relative(p) for p in parts]}, manifest)
        tables = [store.read(path) for path in parts]
        part_ids: list[str] = [i for t in tables for i in t.column("id").to_pylist()]
        if store.exists(main):
            tables.insert(0, store.read(main))
        merged = deduplicate(pa.concat_tables(tables)).sort_by(
            [("user_id", "ascending"), ("created_at", "ascending"), ("id", "ascending")]
        )
        store.write_atomically(merged, main)
        return part_ids

    part_ids = await asyncio.to_thread(write_merged)
    relative = store.relative(main)
    await repository.move_to_file(session, part_ids, relative)
    report.compacted.append(relative)


async def finish_compactions(sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore) -> None:
    """Compaction's phase two, after phase one committed: delete the parts the database no longer points at."""
    async with unit_of_work(sessionmaker) as session:
        await repository.lock_archive(session)
        for manifest in [f for f in await listing(store) if f.kind == "manifest"]:
            listed = (await asyncio.to_thread(store.read_json, manifest.path))["parts"]
            main = store.relative(store.main_path(manifest.month, manifest.category))
            remaining = [p for p in listed if await asyncio.to_thread(store.exists, store.absolute(p))]
            first_ids = {p: p.rsplit(PART_MARKER, 1)[1].split("-", 1)[0] for p in remaining}
            states = await repository.row_states(session, first_ids.values())
            kept = 0
            for part in remaining:
                state = states.get(first_ids[part])
                moved = state is not None and state[1] == main
                if state is None:
                    # Rows gone to retention: the merged file must hold the part's events itself.
                    main_ids = set(await asyncio.to_thread(store.read_ids, store.absolute(main)))
                    moved = set(await asyncio.to_thread(store.read_ids, store.absolute(part))) <= main_ids
                if moved:
                    await asyncio.to_thread(store.delete, store.absolute(part))
                else:
                    kept += 1
            if kept == 0:
                await asyncio.to_thread(store.delete, manifest.path)
