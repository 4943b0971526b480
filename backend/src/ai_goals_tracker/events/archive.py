"""The event archive: events leave PostgreSQL for hive-partitioned Parquet, exactly once.

Layout under the archive root (a local folder or any pyarrow filesystem URI):

    events/year=YYYY/month=MM/{category}_events.parquet                  the month's compacted file
    events/year=YYYY/month=MM/{category}_events.part-{min}-{max}.parquet  a batch not yet compacted
    events/year=YYYY/month=MM/_compaction.{category}.json                 a compaction in flight
    ….tmp                                                                 a file being written

The database is the source of truth for which file holds an event: `parquet_path` (relative to
the root) names it, and it is set in the same transaction that read the rows. Every step that
touches files runs inside a transaction holding one advisory lock, so a single archiver or
compactor works at a time, and whoever takes the lock first repairs what a killed one left:

- a `.tmp` file was never published: delete it;
- a part file whose events are not marked was published by a run killed before its commit:
  adopt it (mark its events with its path), unless some of them were archived since: then drop it;
- a part file whose events point elsewhere duplicates a compacted file: drop it;
- a compaction manifest means the merged file may hold parts the database does not point to yet:
  merge again (deduplicating by event id) and commit, then delete the parts.

docs/events.md walks through every instant a process can die and why none loses or duplicates.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.db.engine import unit_of_work
from ai_goals_tracker.models.enums import EventType

logger = logging.getLogger(__name__)

ARCHIVE_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("event_type", pa.string(), nullable=False),
        pa.field("user_id", pa.string()),
        pa.field("entity_type", pa.string(), nullable=False),
        pa.field("entity_id", pa.string(), nullable=False),
        # JSON text: readers parse what they need; the schema stays stable as payloads evolve.
        pa.field("payload", pa.string(), nullable=False),
        pa.field("metadata", pa.string(), nullable=False),
        pa.field("created_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("processed_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(event_type.category for event_type in EventType))

# Row groups of ~128k rows: big enough for columnar scans, small enough to skip by statistics.
ROW_GROUP_ROWS = 128 * 1024
DEFAULT_BATCH_SIZE = 50_000
COMPRESSION = "zstd"

MAIN_SUFFIX = "_events.parquet"
PART_MARKER = "_events.part-"
TEMP_SUFFIX = ".tmp"
MANIFEST_PREFIX = "_compaction."

# pg_advisory_xact_lock key shared by every archiver, compactor and retention run.
ARCHIVE_LOCK_KEY = 0x61696774_61726376
LOCK_WAIT = "60s"

Month = tuple[int, int]
FileKind = Literal["main", "part", "manifest", "temp"]

# The oldest unarchived events, marked with the part file each goes to, in one statement: no ids
# travel to the server and back. A part's name is `{category}_events.part-{min id}-{max id}` in its
# month's folder (ArchiveStore.part_path), computed here over each (month, category) group.
_CLAIM_AND_MARK_SQL = """
WITH claimed AS (
    SELECT id, to_char(created_at AT TIME ZONE 'UTC', '"year="YYYY"/month="MM') AS month_dir,
           split_part(event_type::text, '.', 1) AS category
    FROM events WHERE processed_at IS NULL ORDER BY created_at, id LIMIT %(limit)s
), named AS (
    SELECT id, 'events/' || month_dir || '/' || category || '_events.part-'
               || min(id) OVER w || '-' || max(id) OVER w || '.parquet' AS path
    FROM claimed WINDOW w AS (PARTITION BY month_dir, category)
)
UPDATE events AS e SET processed_at = %(now)s, parquet_path = n.path FROM named AS n WHERE e.id = n.id
RETURNING e.id, e.event_type::text, e.user_id, e.entity_type, e.entity_id, e.payload::text, e.metadata::text,
          e.created_at, n.path
"""
_MARK_SQL = text(
    "UPDATE events AS e SET processed_at = :now, parquet_path = v.path"
    " FROM unnest(CAST(:ids AS text[]), CAST(:paths AS text[])) AS v(id, path) WHERE e.id = v.id"
)


@dataclass(frozen=True)
class ArchiveFile:
    path: str
    month: Month
    category: str
    kind: FileKind
    first_id: str | None = None


@dataclass(frozen=True)
class ArchiveStore:
    """Where the archive lives: a pyarrow filesystem and the root path inside it."""

    filesystem: pafs.FileSystem
    root: str

    @classmethod
    def open(cls, uri: str) -> ArchiveStore:
        if "://" not in uri:
            uri = str(Path(uri).expanduser().resolve())
        filesystem, path = pafs.FileSystem.from_uri(uri)
        return cls(filesystem, path.rstrip("/"))

    @property
    def is_local(self) -> bool:
        return isinstance(self.filesystem, pafs.LocalFileSystem)

    @property
    def events_dir(self) -> str:
        return f"{self.root}/events"

    def month_dir(self, month: Month) -> str:
        return f"{self.events_dir}/year={month[0]:04d}/month={month[1]:02d}"

    def main_path(self, month: Month, category: str) -> str:
        return f"{self.month_dir(month)}/{category}{MAIN_SUFFIX}"

    def part_path(self, month: Month, category: str, first_id: str, last_id: str) -> str:
        return f"{self.month_dir(month)}/{category}{PART_MARKER}{first_id}-{last_id}.parquet"

    def manifest_path(self, month: Month, category: str) -> str:
        return f"{self.month_dir(month)}/{MANIFEST_PREFIX}{category}.json"

    def relative(self, path: str) -> str:
        return path[len(self.root) + 1 :]

    def absolute(self, relative: str) -> str:
        return f"{self.root}/{relative}"

    def list_files(self) -> list[ArchiveFile]:
        selector = pafs.FileSelector(self.events_dir, recursive=True, allow_not_found=True)
        found = []
        for info in self.filesystem.get_file_info(selector):
            if info.type == pafs.FileType.File:
                parsed = _parse(info.path)
                if parsed is not None:
                    found.append(parsed)
        return found

    def parquet_files(self) -> list[str]:
        """Every published Parquet file (what a `**/*.parquet` glob sees)."""
        return sorted(f.path for f in self.list_files() if f.kind in ("main", "part"))

    def read_ids(self, path: str) -> list[str]:
        table = pq.read_table(path, columns=["id"], filesystem=self.filesystem)
        ids: list[str] = table.column("id").to_pylist()
        return ids

    def read(self, path: str) -> pa.Table:
        return pq.read_table(path, schema=ARCHIVE_SCHEMA, filesystem=self.filesystem)

    def exists(self, path: str) -> bool:
        return bool(self.filesystem.get_file_info(path).type == pafs.FileType.File)

    def delete(self, path: str) -> None:
        if self.exists(path):
            self.filesystem.delete_file(path)

    def write_atomically(self, table: pa.Table, path: str) -> None:
        """Publish `table` at `path` whole or not at all: write a temporary file, then rename it.

        On object stores the rename is a copy, and an object appears only once fully written.
        """
        self.filesystem.create_dir(path.rsplit("/", 1)[0], recursive=True)
        temporary = f"{path}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
        with self.filesystem.open_output_stream(temporary) as sink:
            self.make_private(temporary)
            pq.write_table(table, sink, compression=COMPRESSION, row_group_size=ROW_GROUP_ROWS)
        self.filesystem.move(temporary, path)

    def write_json_atomically(self, document: dict[str, Any], path: str) -> None:
        self.filesystem.create_dir(path.rsplit("/", 1)[0], recursive=True)
        temporary = f"{path}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
        with self.filesystem.open_output_stream(temporary) as sink:
            self.make_private(temporary)
            sink.write(json.dumps(document).encode())
        self.filesystem.move(temporary, path)

    def make_private(self, file: str) -> None:
        """A local archive holds emails and client addresses: its folders are 0700 and its files
        0600 whatever the umask (set before any row is written). Object stores have their own ACLs."""
        if not self.is_local:
            return
        os.chmod(file, 0o600)
        folder = Path(file).parent
        root = Path(self.root)
        for level in (folder, *folder.parents):
            if not level.is_relative_to(root):
                break
            os.chmod(level, 0o700)

    def read_json(self, path: str) -> dict[str, Any]:
        with self.filesystem.open_input_stream(path) as source:
            document: dict[str, Any] = json.loads(source.read())
        return document


def _parse(path: str) -> ArchiveFile | None:
    parts = path.rsplit("/", 3)
    if len(parts) != 4 or not parts[1].startswith("year=") or not parts[2].startswith("month="):
        return None
    try:
        month = (int(parts[1][5:]), int(parts[2][6:]))
    except ValueError:
        return None
    name = parts[3]
    if name.endswith(TEMP_SUFFIX):
        return ArchiveFile(path, month, "", "temp")
    if name.startswith(MANIFEST_PREFIX) and name.endswith(".json"):
        return ArchiveFile(path, month, name[len(MANIFEST_PREFIX) : -len(".json")], "manifest")
    if name.endswith(MAIN_SUFFIX) and PART_MARKER not in name:
        return ArchiveFile(path, month, name[: -len(MAIN_SUFFIX)], "main")
    if PART_MARKER in name and name.endswith(".parquet"):
        category, rest = name.split(PART_MARKER, 1)
        return ArchiveFile(path, month, category, "part", first_id=rest.split("-", 1)[0])
    return None


@dataclass
class ArchiveReport:
    archived: int = 0
    files_written: list[str] = field(default_factory=list)
    adopted_files: int = 0
    discarded_files: int = 0
    compacted: list[str] = field(default_factory=list)
    deleted_rows: int = 0


def month_of(moment: datetime) -> Month:
    utc = moment.astimezone(UTC)
    return (utc.year, utc.month)


def current_month() -> Month:
    return month_of(datetime.now(UTC))


def events_table(rows: Sequence[Sequence[Any]], processed_at: datetime) -> pa.Table:
    """Rows of (id, event_type, user_id, entity_type, entity_id, payload, metadata, created_at)."""
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in range(8)]
    arrays = [pa.array(column, type=ARCHIVE_SCHEMA.field(index).type) for index, column in enumerate(columns)]
    arrays.append(pa.array([processed_at] * len(rows), type=ARCHIVE_SCHEMA.field("processed_at").type))
    return pa.Table.from_arrays(arrays, schema=ARCHIVE_SCHEMA)


def deduplicate(table: pa.Table) -> pa.Table:
    """One row per event id (a crash can leave the same event in a compacted file and a part)."""
    if table.num_rows < 2:
        return table
    table = table.sort_by("id")
    ids = table.column("id").combine_chunks()
    previous = pa.concat_arrays([pa.array([None], pa.string()), ids.slice(0, len(ids) - 1)])
    keep = pc.fill_null(pc.not_equal(ids, previous), True)
    return table.filter(keep)


async def _lock(session: AsyncSession) -> None:
    await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ARCHIVE_LOCK_KEY})


async def _listing(store: ArchiveStore) -> list[ArchiveFile]:
    return await asyncio.to_thread(store.list_files)


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
            await _lock(session)
            listing = await _listing(store)
            if any(f.kind in ("manifest", "temp") for f in listing):
                # Another process died mid-compaction since our recovery: repair again first.
                continue
            await _reconcile_parts(session, store, listing, report)
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
    # The driver's own cursor: SQLAlchemy's row objects cost more than the rest for 50,000 rows.
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    async with raw.cursor() as cursor:
        await cursor.execute(_CLAIM_AND_MARK_SQL, {"limit": batch_size, "now": processed_at})
        rows = await cursor.fetchall()
    if not rows:
        return 0
    by_path: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_path[row[8]].append(index)
    table = events_table([row[:8] for row in rows], processed_at)

    def write() -> None:
        for path, indices in by_path.items():
            # Part files keep the log's order, as they did when rows were written one batch at a time.
            part = table.take(pa.array(indices)).sort_by([("created_at", "ascending"), ("id", "ascending")])
            store.write_atomically(part, store.absolute(path))

    await asyncio.to_thread(write)
    report.archived += len(rows)
    report.files_written.extend(by_path)
    return len(rows)


async def _row_states(session: AsyncSession, ids: Iterable[str]) -> dict[str, tuple[bool, str | None]]:
    rows = await session.execute(
        text("SELECT id, processed_at IS NOT NULL, parquet_path FROM events WHERE id = ANY(CAST(:ids AS text[]))"),
        {"ids": list(ids)},
    )
    return {row[0]: (row[1], row[2]) for row in rows}


async def _reconcile_parts(
    session: AsyncSession, store: ArchiveStore, listing: list[ArchiveFile], report: ArchiveReport
) -> None:
    """Adopt part files a killed run published without committing; drop duplicated ones."""
    parts = [f for f in listing if f.kind == "part" and f.first_id]
    if not parts:
        return
    states = await _row_states(session, (p.first_id for p in parts if p.first_id))
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
            unmarked = await session.scalar(
                text("SELECT count(*) FROM events WHERE id = ANY(CAST(:ids AS text[])) AND processed_at IS NULL"),
                {"ids": ids},
            )
            if unmarked == len(ids):
                await session.execute(_MARK_SQL, {"now": datetime.now(UTC), "ids": ids, "paths": [relative] * len(ids)})
                report.adopted_files += 1
                logger.warning("Adopted %s, published by an archiver that died before committing", relative)
                continue
        # Its events live in another file (or some do, and the rest will be archived again).
        await asyncio.to_thread(store.delete, part.path)
        report.discarded_files += 1


async def recover(sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore, report: ArchiveReport) -> None:
    """Repair what a killed archiver or compactor left: temporary files and half-done compactions."""
    async with unit_of_work(sessionmaker) as session:
        await _lock(session)
        listing = await _listing(store)
        temporary = [f.path for f in listing if f.kind == "temp"]
        manifests = [f for f in listing if f.kind == "manifest"]
        if not temporary and not manifests:
            return
        for path in temporary:
            await asyncio.to_thread(store.delete, path)
            report.discarded_files += 1
        if manifests:
            await _reconcile_parts(session, store, listing, report)
            listing = await _listing(store)
            for manifest in manifests:
                await _merge(session, store, manifest.month, manifest.category, listing, report)
    if manifests:
        await _finish_compactions(sessionmaker, store)


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
        await _lock(session)
        listing = await _listing(store)
        await _reconcile_parts(session, store, listing, report)
        listing = await _listing(store)
        targets = sorted(
            {(f.month, f.category) for f in listing if f.kind == "part" and not (closed_only and f.month >= this_month)}
        )
        for month, category in targets:
            await _merge(session, store, month, category, listing, report)
            if on_merge is not None:
                on_merge(report.compacted[-1])
    await _finish_compactions(sessionmaker, store)
    return report


async def _merge(
    session: AsyncSession,
    store: ArchiveStore,
    month: Month,
    category: str,
    listing: list[ArchiveFile],
    report: ArchiveReport,
) -> None:
    """Phase one: the merged file replaces the month's file and the database points at it.

    The manifest is written before the merged file is published: until the database commit, the
    merged file may hold events the database still places in the parts, and the manifest tells
    the next run to finish the job rather than trust the parts.
    """
    parts = sorted(f.path for f in listing if f.kind == "part" and f.month == month and f.category == category)
    main = store.main_path(month, category)
    manifest = store.manifest_path(month, category)
    if not parts:
        return

    def merge() -> list[str]:
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

    part_ids = await asyncio.to_thread(merge)
    relative = store.relative(main)
    await session.execute(
        text("UPDATE events SET parquet_path = :path WHERE id = ANY(CAST(:ids AS text[]))"),
        {"path": relative, "ids": part_ids},
    )
    report.compacted.append(relative)


async def _finish_compactions(sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore) -> None:
    """Phase two, after phase one committed: delete the parts the database no longer points at."""
    async with unit_of_work(sessionmaker) as session:
        await _lock(session)
        for manifest in [f for f in await _listing(store) if f.kind == "manifest"]:
            listed = (await asyncio.to_thread(store.read_json, manifest.path))["parts"]
            main = store.relative(store.main_path(manifest.month, manifest.category))
            remaining = [p for p in listed if await asyncio.to_thread(store.exists, store.absolute(p))]
            first_ids = {p: p.rsplit(PART_MARKER, 1)[1].split("-", 1)[0] for p in remaining}
            states = await _row_states(session, first_ids.values())
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
        await _lock(session)
        groups = await session.execute(
            text(
                "SELECT parquet_path, array_agg(id) FROM events e"
                " WHERE processed_at IS NOT NULL AND created_at < :cutoff"
                # Every follower of the log (events/follower.py) must have read the event first.
                " AND NOT EXISTS (SELECT 1 FROM event_followers f WHERE (e.txid, e.id) > (f.txid, f.event_id))"
                " GROUP BY parquet_path"
            ),
            {"cutoff": cutoff},
        )
        for path, ids in groups.all():
            absolute = store.absolute(path)
            if not await asyncio.to_thread(store.exists, absolute):
                logger.error("Keeping %d archived events: their file %s is missing", len(ids), path)
                continue
            in_file = set(await asyncio.to_thread(store.read_ids, absolute))
            confirmed = [event_id for event_id in ids if event_id in in_file]
            if len(confirmed) != len(ids):
                logger.error("Keeping %d events that %s does not hold", len(ids) - len(confirmed), path)
            result = await session.execute(
                text("DELETE FROM events WHERE id = ANY(CAST(:ids AS text[]))"), {"ids": confirmed}
            )
            report.deleted_rows += int(getattr(result, "rowcount", 0) or 0)
    return report
