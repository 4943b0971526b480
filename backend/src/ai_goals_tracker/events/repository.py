"""Queries on the events table: the unarchived tail, and the archive's bookkeeping.

The archive's statements run in its transactions, under `lock_archive`: one archiver, compactor or
retention run at a time (events/archive.py says why that keeps every event in exactly one file).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.events.columns import select_list

# pg_advisory_xact_lock key shared by every archiver, compactor and retention run.
ARCHIVE_LOCK_KEY = 0x61696774_61726376
LOCK_WAIT = "60s"

Position = tuple[str, str]
"""An event's place in the log's (txid, id) order: its transaction id (as text) and its id."""

# The archiver reads the log in the followers' order (events/follower.py): after its saved
# position, only events no open transaction can still add to, so an event committed late by a
# long transaction lands after the position and is archived by a later batch, never skipped.
# `processed_at IS NULL` skips events a recovery adopted beyond the position. The horizon is a
# subquery, computed once per statement rather than for every row scanned.
_NEXT_BATCH = (
    "(txid, id) > (%(after_txid)s::xid8, %(after_id)s) AND txid < (SELECT event_log_horizon())"
    " AND processed_at IS NULL ORDER BY txid, id LIMIT %(limit)s"
)
# A batch once read: the unarchived events after one position, up to and including another.
# Every transaction that wrote one has ended, so every connection sees the same rows.
_IN_BATCH = (
    "(txid, id) > (CAST(:after_txid AS xid8), :after_id) AND (txid, id) <= (CAST(:last_txid AS xid8), :last_id)"
    " AND processed_at IS NULL"
)
# Which part file of its batch an event goes to: one per month and category.
_PART_KEY = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') || ' ' || split_part(event_type::text, '.', 1)"
# A text COPY: pyarrow parses it in C++, which costs far less than a row object per event.
# (`txid_text`: an output column named `txid` would be what ORDER BY txid sorts, as text.)
_COPY_BATCH_SQL = f"""
COPY (SELECT {select_list()}, txid::text AS txid_text, {_PART_KEY} FROM events WHERE {_NEXT_BATCH})
TO STDOUT (FORMAT csv)
"""  # noqa: S608  (our own column names)
# One pass over the batch, no join: each row finds its part's path in a small JSON object by its
# part key, and a row whose key is missing stays unmarked (and the count tells). No index covers
# `processed_at` or `parquet_path`, and pages keep room for the new versions, so each row's new
# version is a heap-only tuple (migration 014).
_MARK_BATCH_SQL = text(
    f"""UPDATE events SET processed_at = :now, parquet_path = CAST(:paths AS jsonb) ->> ({_PART_KEY})
    WHERE {_IN_BATCH} AND CAST(:paths AS jsonb) ? ({_PART_KEY})"""  # noqa: S608  (our own column names)
)
_POSITION_SQL = text("SELECT txid::text, event_id FROM event_archive_position")
_SAVE_POSITION_SQL = text(
    "UPDATE event_archive_position SET txid = CAST(:txid AS xid8), event_id = :event_id, updated_at = now()"
)
_MARK_SQL = text(
    "UPDATE events AS e SET processed_at = :now, parquet_path = v.path"
    " FROM unnest(CAST(:ids AS text[]), CAST(:paths AS text[])) AS v(id, path) WHERE e.id = v.id"
)
# Events up to the archive's position are all archived: the tail lies after it.
_AFTER_POSITION = "(txid, id) > (SELECT txid, event_id FROM event_archive_position)"
_COUNT_TAIL_SQL = text(f"SELECT count(*) FROM events WHERE {_AFTER_POSITION} AND processed_at IS NULL")  # noqa: S608


async def unarchived_rows(
    session: AsyncSession, *, user_id: str | None = None, since: datetime | None = None
) -> Sequence[Sequence[Any]]:
    """Events PostgreSQL still holds unarchived, as `select_list()` rows."""
    conditions = [_AFTER_POSITION, "processed_at IS NULL"]
    params: dict[str, Any] = {}
    if user_id is not None:
        conditions.append("user_id = :user_id")
        params["user_id"] = user_id
    if since is not None:
        conditions.append("created_at >= :since")
        params["since"] = since
    query = f"SELECT {select_list()} FROM events WHERE {' AND '.join(conditions)}"  # noqa: S608  (fixed clauses)
    return (await session.execute(text(query), params)).all()


async def count_unarchived_tail(session: AsyncSession) -> int:
    """How many events after the archive's position are not archived yet."""
    return int(await session.scalar(_COUNT_TAIL_SQL) or 0)


_TAIL_LAG_SQL = text(
    f"SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM events"  # noqa: S608
    f" WHERE {_AFTER_POSITION} AND processed_at IS NULL"
)


async def unarchived_tail_lag(session: AsyncSession) -> tuple[int, float]:
    """How many events wait for the archive, and the age in seconds of the oldest of them (0 with none)."""
    count, seconds = (await session.execute(_TAIL_LAG_SQL)).one()
    return int(count), max(0.0, float(seconds))


async def lock_archive(session: AsyncSession) -> None:
    """Wait (at most LOCK_WAIT) for the archive's lock, held until this transaction ends."""
    await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ARCHIVE_LOCK_KEY})


async def archive_position(session: AsyncSession) -> Position:
    """The last event the archiver claimed: every event up to it is archived."""
    row = (await session.execute(_POSITION_SQL)).one()
    return row[0], row[1]


async def save_archive_position(session: AsyncSession, position: Position) -> None:
    await session.execute(_SAVE_POSITION_SQL, {"txid": position[0], "event_id": position[1]})


def copy_batch(connection: psycopg.Connection[Any], after: Position, limit: int) -> bytes:
    """The (at most) `limit` unarchived events after `after`, in the log's order, as CSV: the
    `select_list()` columns, the event's txid, then its part key (the month and category whose
    part file holds it). A blocking connection of its own: reading row by row costs several times
    less without an event loop between the rows."""
    params = {"after_txid": after[0], "after_id": after[1], "limit": limit}
    with connection.transaction(), connection.cursor() as cursor, cursor.copy(_COPY_BATCH_SQL, params) as copy:
        return b"".join([bytes(chunk) for chunk in copy])


async def mark_batch(
    session: AsyncSession, after: Position, last: Position, paths: Mapping[str, str], now: datetime
) -> int:
    """Record that the batch's events were archived at `now` in the file `paths` gives for their
    part key (relative to the archive's root); how many were."""
    params = {"after_txid": after[0], "after_id": after[1], "last_txid": last[0], "last_id": last[1]}
    result = await session.execute(_MARK_BATCH_SQL, {**params, "paths": json.dumps(dict(paths)), "now": now})
    return int(getattr(result, "rowcount", 0) or 0)


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
