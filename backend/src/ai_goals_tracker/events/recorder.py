"""Appending to the event log, inside the caller's transaction (a transactional outbox).

The payload is the entity's full state after the change (before it, for a deletion), so the
log alone can rebuild the database. Secrets never enter it. Event rows are sent with the
transaction's COMMIT (see `_PENDING`), so recording costs the change no extra round trip. The
recorder only appends: what a change causes elsewhere (search upkeep) follows the log afterwards
(events/follower.py).
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from functools import cache
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Connection, Engine, event, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.util import await_only

from ai_goals_tracker.db.base import Base
from ai_goals_tracker.db.ids import new_id
from ai_goals_tracker.events.columns import RECORDED_COLUMNS
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.models.enums import EventType

# Columns that must never be copied into the log.
SECRET_COLUMNS = frozenset({"hashed_password"})

ENTITY_TYPES: dict[str, str] = {
    "users": "user",
    "courses": "course",
    "goals": "goal",
    "tasks": "task",
    "code_snapshots": "code_snapshot",
}


def entity_state(entity: Base) -> dict[str, Any]:
    """Every column of a row as JSON-ready values, keyed by column name (`metadata`, not `meta`)."""
    return {name: _json_value(getattr(entity, key)) for key, name in _logged_columns(type(entity))}


@cache
def _logged_columns(model: type[Base]) -> tuple[tuple[str, str], ...]:
    """(attribute, column name) of every column the log keeps, worked out once per model."""
    mapper = inspect(model)
    pairs = ((attribute.key, attribute.columns[0].name) for attribute in mapper.column_attrs)
    return tuple((key, name) for key, name in pairs if name not in SECRET_COLUMNS)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def entity_type_of(entity: Base) -> str:
    return ENTITY_TYPES[entity.__tablename__]


async def record(
    session: AsyncSession,
    event_type: EventType,
    entity: Base,
    context: ChangeContext,
    *,
    user_id: str | None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Append one event about `entity`; committed with the change or not at all."""
    # Flush first so the payload holds what the database computed (ids, timestamps, defaults).
    await session.flush()
    payload = entity_state(entity)
    if extra:
        payload = {**payload, **extra}
    await record_raw(
        session,
        event_type,
        entity_type=entity_type_of(entity),
        entity_id=entity.id,  # type: ignore[attr-defined]
        payload=payload,
        context=context,
        user_id=user_id,
    )


async def record_raw(
    session: AsyncSession,
    event_type: EventType,
    *,
    entity_type: str,
    entity_id: str,
    payload: dict[str, Any],
    context: ChangeContext,
    user_id: str | None,
) -> None:
    """Append an event that is not a row's state (AI suggestions, warnings)."""
    row: EventRow = (
        new_id("evt"),
        event_type.value,
        user_id,
        entity_type,
        entity_id,
        Jsonb(payload),
        Jsonb(context.as_metadata()),
    )
    connection = (await session.connection()).sync_connection
    assert connection is not None
    if _driver(connection).autocommit:
        # No commit will come to carry it: write it now.
        await _insert(_driver(connection), [row])
    else:
        connection.info.setdefault(_PENDING, []).append(row)


# The event rows of the open transaction not yet sent. They travel with the COMMIT, in one message
# and one round trip (the change's own statements are already on the server), so an event adds no
# round trip to the change it records; and before any statement that names the events table, so
# the transaction reads its own events.
EventRow = tuple[str, str, str | None, str, str, Jsonb, Jsonb]
_PENDING = "aigt_pending_events"
_NAMES_EVENTS = re.compile(r"\bevents\b", re.IGNORECASE)
_INSERT_SQL = f"INSERT INTO events ({', '.join(RECORDED_COLUMNS)}) VALUES "  # noqa: S608  (our own column names)
_ROW_PLACEHOLDERS = "(" + ", ".join(["%s"] * len(RECORDED_COLUMNS)) + ")"


def _driver(connection: Connection) -> psycopg.AsyncConnection[Any]:
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.AsyncConnection)
    return driver


async def _insert(driver: psycopg.AsyncConnection[Any], rows: list[EventRow], *, then: str = "") -> None:
    """One INSERT of every row, in the order recorded (`created_at` is clock_timestamp(), per row),
    followed by `then` in the same message: the parameters are bound on the client, so several
    statements can travel together."""
    query = _INSERT_SQL + ", ".join([_ROW_PLACEHOLDERS] * len(rows)) + then
    params = [value for row in rows for value in row]
    try:
        async with psycopg.AsyncClientCursor(driver) as cursor:
            await cursor.execute(query, params)
    except psycopg.Error as exc:
        # Sent beside SQLAlchemy, so wrapped as it wraps every other statement's error.
        raise DBAPIError.instance(query, params, exc, psycopg.Error, hide_parameters=True) from exc


@event.listens_for(Engine, "commit")
def _write_with_commit(connection: Connection) -> None:
    rows = connection.info.pop(_PENDING, None)
    if rows:
        # The driver then finds no transaction open and sends no COMMIT of its own.
        await_only(_insert(_driver(connection), rows, then="; COMMIT"))


@event.listens_for(Engine, "before_cursor_execute")
def _write_before_reading(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    if _PENDING in connection.info and _NAMES_EVENTS.search(statement):
        _write_pending(connection)


@event.listens_for(Engine, "savepoint")
def _write_before_savepoint(connection: Connection, _name: str) -> None:
    # Written before the savepoint, so rolling back to it keeps them, as it keeps other rows.
    _write_pending(connection)


@event.listens_for(Engine, "rollback_savepoint")
def _forget_after_savepoint(connection: Connection, _name: str, _context: Any) -> None:
    if not connection.invalidated:
        connection.info.pop(_PENDING, None)


@event.listens_for(Engine, "rollback")
def _forget_on_rollback(connection: Connection) -> None:
    # Also when a session is closed without either: closing rolls its transaction back. A connection
    # the database dropped is invalidated, and its pending rows went with its DBAPI connection.
    if not connection.invalidated:
        connection.info.pop(_PENDING, None)


def _write_pending(connection: Connection) -> None:
    rows = connection.info.pop(_PENDING, None)
    if rows:
        await_only(_insert(_driver(connection), rows))
