"""The whole event log as one DuckDB relation: the Parquet archive plus the unarchived tail.

The tail is read from PostgreSQL before the archive is listed, so an event archived in between
appears in both rather than in neither; the `events` view keeps one row per event id, including
while a compaction is in flight (a month file and its parts may then share events).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.events.archive import ARCHIVE_SCHEMA, ArchiveFile, ArchiveStore, Month

TAIL_SCHEMA = pa.schema([ARCHIVE_SCHEMA.field(name) for name in ARCHIVE_SCHEMA.names if name != "processed_at"])
COLUMNS = ", ".join(TAIL_SCHEMA.names)
_TAIL_SELECT = "id, event_type::text, user_id, entity_type, entity_id, payload::text, metadata::text, created_at"


async def unarchived_events(
    session: AsyncSession, *, user_id: str | None = None, since: datetime | None = None
) -> pa.Table:
    """Events PostgreSQL still holds unarchived, as an Arrow table in the archive's column types."""
    conditions = ["processed_at IS NULL"]
    params: dict[str, Any] = {}
    if user_id is not None:
        conditions.append("user_id = :user_id")
        params["user_id"] = user_id
    if since is not None:
        conditions.append("created_at >= :since")
        params["since"] = since
    query = f"SELECT {_TAIL_SELECT} FROM events WHERE {' AND '.join(conditions)}"  # noqa: S608  (fixed clauses)
    rows = (await session.execute(text(query), params)).all()
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in TAIL_SCHEMA]
    arrays = [pa.array(column, type=f.type) for column, f in zip(columns, TAIL_SCHEMA, strict=True)]
    return pa.Table.from_arrays(arrays, schema=TAIL_SCHEMA)


def month_filter(months: tuple[Month, Month] | None) -> str:
    """A predicate on the hive columns alone (the file list is already limited to these months)."""
    if months is None:
        return "TRUE"
    (first_year, first_month), (last_year, last_month) = months
    return f"(year * 100 + month) BETWEEN {first_year * 100 + first_month} AND {last_year * 100 + last_month}"


def open_log(
    store: ArchiveStore, tail: pa.Table, *, months: tuple[Month, Month] | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with an `events` view: archive (limited to `months`) ∪ tail, one row per id."""
    con = duckdb.connect()
    con.register("tail_events", tail)
    listing = store.list_files()
    archived = _archive_relation(con, store, listing, months)
    if any(f.kind == "manifest" for f in listing):
        # A compaction is in flight: a month file and its parts may hold the same events.
        query = f"""
            SELECT {COLUMNS} FROM (
                SELECT {COLUMNS}, 0 AS source FROM tail_events
                UNION ALL
                SELECT {COLUMNS}, 1 AS source FROM {archived}
            )
            QUALIFY row_number() OVER (PARTITION BY id ORDER BY source) = 1
        """  # noqa: S608  (column names and paths of our own, no user input)
    else:
        # Otherwise archived files never share an event, and only the (small) tail can overlap them.
        query = f"""
            SELECT {COLUMNS} FROM tail_events
            UNION ALL
            SELECT {COLUMNS} FROM {archived} AND id NOT IN (SELECT id FROM tail_events)
        """  # noqa: S608  (column names and paths of our own, no user input)
    con.execute(f"CREATE VIEW events AS {query}")
    return con


def _archive_relation(
    con: duckdb.DuckDBPyConnection, store: ArchiveStore, listing: list[ArchiveFile], months: tuple[Month, Month] | None
) -> str:
    # The files are chosen from their paths before DuckDB sees them: it opens the first file of a
    # glob to learn the schema, which would read a month the question does not touch.
    files = [
        f.path for f in listing if f.kind in ("main", "part") and (months is None or months[0] <= f.month <= months[1])
    ]
    if not files:
        con.register("archived_events", TAIL_SCHEMA.empty_table())
        return "archived_events WHERE TRUE"
    if store.is_local:
        listed = ", ".join("'" + path.replace("'", "''") + "'" for path in sorted(files))
        # Typed explicitly: inferred from the folder names, `month=01` could come back as another type.
        return (
            f"read_parquet([{listed}], hive_partitioning = true,"
            f" hive_types = {{'year': INTEGER, 'month': INTEGER}}) WHERE {month_filter(months)}"
        )
    # Other filesystems go through pyarrow, with the same files.
    dataset = pads.dataset(
        sorted(files),
        filesystem=store.filesystem,
        format="parquet",
        partitioning=pads.partitioning(flavor="hive"),
        partition_base_dir=store.events_dir,
    )
    con.register("archived_events", dataset)
    return "archived_events WHERE TRUE"
