"""Rebuilding the database from the event log, and checking the live one against that rebuild.

Every state event carries the row as it was after the change (before it, for a deletion), keyed
by column name, so replay is an upsert per event and a delete per deletion, in log order
(`created_at`, then the time-ordered id). Deletions cascade through the target's own foreign
keys exactly as they did live: a deleted goal takes its tasks, a deleted course leaves its goals
without a course, a deleted task leaves its snapshots without a task.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Column, DateTime, Enum, Table, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from ai_goals_tracker.db import migrations
from ai_goals_tracker.db.engine import create_engine
from ai_goals_tracker.db.server import ensure_database, libpq_dsn
from ai_goals_tracker.errors import ConflictError
from ai_goals_tracker.events.log import open_log, unarchived_events
from ai_goals_tracker.events.recorder import SECRET_COLUMNS
from ai_goals_tracker.events.store import ArchiveStore
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.models import CodeSnapshot, Course, Goal, Task, User

# Parents before children, so rows can be compared and reported in a stable order.
REPLAYED_TABLES: dict[str, Table] = {
    "user": User.__table__,  # type: ignore[dict-item]
    "course": Course.__table__,  # type: ignore[dict-item]
    "goal": Goal.__table__,  # type: ignore[dict-item]
    "task": Task.__table__,  # type: ignore[dict-item]
    "code_snapshot": CodeSnapshot.__table__,  # type: ignore[dict-item]
}
# Not a valid argon2 hash: nobody can log in as a replayed user until the password is reset.
UNUSABLE_PASSWORD_HASH = "!replayed-from-event-log"  # noqa: S105
FETCH_ROWS = 10_000


@dataclass
class ReplayReport:
    events: int = 0
    applied: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class Difference:
    table: str
    row_id: str
    column: str | None
    live: Any
    replayed: Any

    def describe(self) -> str:
        if self.column is None:
            where = "only in the live database" if self.replayed is None else "only in the replay"
            return f"{self.table} {self.row_id}: {where}"
        return f"{self.table} {self.row_id}.{self.column}: live={self.live!r} replayed={self.replayed!r}"


async def replay(
    source: async_sessionmaker[AsyncSession], store: ArchiveStore, target: AsyncConnection
) -> ReplayReport:
    """Apply the whole log (archive and unarchived tail of `source`) to the empty, migrated `target`."""
    async with source() as session:
        tail = await unarchived_events(session)
    con = await asyncio.to_thread(open_log, store, tail)
    try:
        cursor = await asyncio.to_thread(
            con.execute,
            "SELECT event_type, entity_type, entity_id, payload FROM events ORDER BY created_at, id",
        )
        report = ReplayReport()
        while batch := await asyncio.to_thread(cursor.fetchmany, FETCH_ROWS):
            for event_type, entity_type, entity_id, payload in batch:
                report.events += 1
                if await _apply(target, event_type, entity_type, entity_id, json.loads(payload)):
                    report.applied += 1
                else:
                    report.skipped += 1
        return report
    finally:
        con.close()


async def _apply(
    target: AsyncConnection, event_type: str, entity_type: str, entity_id: str, payload: dict[str, Any]
) -> bool:
    table = REPLAYED_TABLES.get(entity_type)
    if table is None:
        return False
    if event_type.endswith(".deleted"):
        await target.execute(delete(table).where(table.c.id == entity_id))
        return True
    # Events that are not a row's state (an AI suggestion about a course) do not carry its id.
    if payload.get("id") != entity_id:
        return False
    columns = {column.name: column for column in table.columns}
    values: dict[Column[Any], Any] = {
        columns[name]: _column_value(columns[name], value) for name, value in payload.items() if name in columns
    }
    if table.name == "users":
        values[columns["hashed_password"]] = UNUSABLE_PASSWORD_HASH
    statement = insert(table).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={
            column.key: statement.excluded[column.key]
            for column in values
            if column.name != "id" and column.name not in SECRET_COLUMNS
        },
    )
    await target.execute(statement)
    return True


def _column_value(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Enum) and column.type.enum_class is not None:
        enum_class: type[StrEnum] = column.type.enum_class  # type: ignore[assignment]
        return enum_class(value)
    return value


async def replay_into(source: async_sessionmaker[AsyncSession], store: ArchiveStore, target_dsn: str) -> ReplayReport:
    """Replay into the database at `target_dsn`, which must be migrated and hold no rows yet."""
    engine = create_engine(target_dsn, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as target:
            for table in REPLAYED_TABLES.values():
                if await target.scalar(select(table.c.id).limit(1)) is not None:
                    raise ConflictError(
                        N_("The target database is not empty: table {table} has rows"), params={"table": table.name}
                    )
            return await replay(source, store, target)
    finally:
        await engine.dispose()


async def compare(live_dsn: str, replayed_dsn: str) -> list[Difference]:
    """Every row and column where the two databases disagree (passwords aside: the log never holds them)."""
    differences: list[Difference] = []
    live_engine = create_engine(live_dsn, pool_size=1, max_overflow=0)
    replay_engine = create_engine(replayed_dsn, pool_size=1, max_overflow=0)
    try:
        async with live_engine.connect() as live, replay_engine.connect() as replayed:
            for table in REPLAYED_TABLES.values():
                live_rows = await _rows(live, table)
                replayed_rows = await _rows(replayed, table)
                for row_id in sorted(live_rows.keys() | replayed_rows.keys()):
                    left, right = live_rows.get(row_id), replayed_rows.get(row_id)
                    if left is None or right is None:
                        differences.append(Difference(table.name, row_id, None, left, right))
                        continue
                    for name, value in left.items():
                        if name not in SECRET_COLUMNS and right.get(name) != value:
                            differences.append(Difference(table.name, row_id, name, value, right.get(name)))
    finally:
        await live_engine.dispose()
        await replay_engine.dispose()
    return differences


async def _rows(connection: AsyncConnection, table: Table) -> dict[str, dict[str, Any]]:
    result = await connection.execute(select(table))
    names = [column.name for column in table.columns]
    return {row[0]: dict(zip(names, row, strict=True)) for row in result}


@dataclass
class VerifyResult:
    replay: ReplayReport
    differences: list[Difference]


async def verify(source: async_sessionmaker[AsyncSession], store: ArchiveStore, live_dsn: str) -> VerifyResult:
    """Replay the log into a scratch database on the live server, compare, and drop the scratch database."""
    name = f"aigt_verify_{secrets.token_hex(6)}"
    scratch_dsn = make_url(live_dsn).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(ensure_database, libpq_dsn(live_dsn), name)
    try:
        await asyncio.to_thread(migrations.upgrade, scratch_dsn)
        report = await replay_into(source, store, scratch_dsn)
        return VerifyResult(report, await compare(live_dsn, scratch_dsn))
    finally:
        await asyncio.to_thread(_drop_database, libpq_dsn(live_dsn), name)


def _drop_database(dsn: str, name: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
