"""Queries on the events table: the unarchived tail, and the archive's bookkeeping.

The archive's statements run in its transactions, under `lock_archive`: one archiver, compactor or
retention run at a time (events/archive.py says why that keeps every event in exactly one file).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.events.columns import select_list
from ai_goals_tracker.events.store import PART_MARKER

# pg_advisory_xact_lock key shared by every archiver, compactor and retention run.
ARCHIVE_LOCK_KEY = 0x61696774_61726376
LOCK_WAIT = "60s"

# The oldest unarchived events, marked with the part file each goes to, in one statement: no ids
# travel to the server and back. A part's name is `{category}_events.part-{min id}-{max id}` in its
# month's folder (ArchiveStore.part_path), computed here over each (month, category) group.
_CLAIM_AND_MARK_SQL = f"""
WITH claimed AS (
    SELECT id, to_char(created_at AT TIME ZONE 'UTC', '"year="YYYY"/month="MM') AS month_dir,
           split_part(event_type::text, '.', 1) AS category
    FROM events WHERE processed_at IS NULL ORDER BY created_at, id LIMIT %(limit)s
), named AS (
    SELECT id, 'events/' || month_dir || '/' || category || '{PART_MARKER}'
               || min(id) OVER w || '-' || max(id) OVER w || '.parquet' AS path
    FROM claimed WINDOW w AS (PARTITION BY month_dir, category)
)
UPDATE events AS e SET processed_at = %(now)s, parquet_path = n.path FROM named AS n WHERE e.id = n.id
RETURNING {select_list("e")}, n.path
"""  # noqa: S608  (our own column names)
_MARK_SQL = text(
    "UPDATE events AS e SET processed_at = :now, parquet_path = v.path"
    " FROM unnest(CAST(:ids AS text[]), CAST(:paths AS text[])) AS v(id, path) WHERE e.id = v.id"
)


async def unarchived_rows(
    session: AsyncSession, *, user_id: str | None = None, since: datetime | None = None
) -> Sequence[Sequence[Any]]:
    """Events PostgreSQL still holds unarchived, as `select_list()` rows."""
    conditions = ["processed_at IS NULL"]
    params: dict[str, Any] = {}
    if user_id is not None:
        conditions.append("user_id = :user_id")
        params["user_id"] = user_id
    if since is not None:
        conditions.append("created_at >= :since")
        params["since"] = since
    query = f"SELECT {select_list()} FROM events WHERE {' AND '.join(conditions)}"  # noqa: S608  (fixed clauses)
    return (await session.execute(text(query), params)).all()


async def lock_archive(session: AsyncSession) -> None:
    """Wait (at most LOCK_WAIT) for the archive's lock, held until this transaction ends."""
    await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ARCHIVE_LOCK_KEY})


async def claim_and_mark(session: AsyncSession, limit: int, now: datetime) -> list[tuple[Any, ...]]:
    """Mark the `limit` oldest unarchived events as archived at `now` in their part files; return
    them as `select_list()` rows followed by the part's path relative to the archive root."""
    # The driver's own cursor: SQLAlchemy's row objects cost more than the rest for 50,000 rows.
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    async with raw.cursor() as cursor:
        await cursor.execute(_CLAIM_AND_MARK_SQL, {"limit": limit, "now": now})
        rows: list[tuple[Any, ...]] = await cursor.fetchall()
    return rows


async def mark(session: AsyncSession, ids: list[str], path: str, now: datetime) -> None:
    """Record that the events `ids` were archived at `now` in the file `path`."""
    await session.execute(_MARK_SQL, {"now": now, "ids": ids, "paths": [path] * len(ids)})


async def row_states(session: AsyncSession, ids: Iterable[str]) -> dict[str, tuple[bool, str | None]]:
    """For each event id that still exists: whether it is archived, and the file that holds it."""
    rows = await session.execute(
        text("SELECT id, processed_at IS NOT NULL, parquet_path FROM events WHERE id = ANY(CAST(:ids AS text[]))"),
        {"ids": list(ids)},
    )
    return {row[0]: (row[1], row[2]) for row in rows}


async def count_unarchived(session: AsyncSession, ids: list[str]) -> int:
    count = await session.scalar(
        text("SELECT count(*) FROM events WHERE id = ANY(CAST(:ids AS text[])) AND processed_at IS NULL"),
        {"ids": ids},
    )
    return int(count or 0)


async def move_to_file(session: AsyncSession, ids: list[str], path: str) -> None:
    """Point archived events at the file that now holds them (a compacted month file)."""
    await session.execute(
        text("UPDATE events SET parquet_path = :path WHERE id = ANY(CAST(:ids AS text[]))"),
        {"path": path, "ids": ids},
    )


async def expired_by_file(session: AsyncSession, cutoff: datetime) -> list[tuple[str, list[str]]]:
    """Archived events created before `cutoff` that every follower of the log has read, by file."""
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
    return [(path, ids) for path, ids in groups.all()]


async def delete_events(session: AsyncSession, ids: list[str]) -> int:
    result = await session.execute(text("DELETE FROM events WHERE id = ANY(CAST(:ids AS text[]))"), {"ids": ids})
    return int(getattr(result, "rowcount", 0) or 0)
