"""Appending to the event log, inside the caller's transaction (a transactional outbox).

The payload is the entity's full state after the change (before it, for a deletion), so the
log alone can rebuild the database. Secrets never enter it. The recorder only appends: what a
change causes elsewhere (search upkeep) follows the log afterwards (events/follower.py).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.db.base import Base
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.models import Event
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
    mapper = inspect(type(entity))
    state: dict[str, Any] = {}
    for attribute in mapper.column_attrs:
        column = attribute.columns[0]
        if column.name in SECRET_COLUMNS:
            continue
        state[column.name] = _json_value(getattr(entity, attribute.key))
    return state


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
) -> Event:
    """Append one event about `entity`; committed with the change or not at all."""
    # Flush first so the payload holds what the database computed (ids, timestamps, defaults).
    await session.flush()
    payload = entity_state(entity)
    if extra:
        payload = {**payload, **extra}
    return await record_raw(
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
) -> Event:
    """Append an event that is not a row's state (AI suggestions, warnings)."""
    event = Event(
        event_type=event_type,
        user_id=user_id,
        entity_type=entity_type,
        entity_id=entity_id,
        payload=payload,
        meta=context.as_metadata(),
    )
    session.add(event)
    return event
