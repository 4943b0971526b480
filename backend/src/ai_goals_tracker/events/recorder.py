"""Appending to the event log, inside the caller's transaction (a transactional outbox).

The payload is the entity's full state after the change (before it, for a deletion), so the
log alone can rebuild the database. Secrets never enter it. The recorder only appends: what a
change causes elsewhere (search upkeep) follows the log afterwards (events/follower.py).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.db.base import Base
from ai_goals_tracker.db.ids import new_id
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
    # A Core INSERT, sent now: every change pays for its event, and the ORM's unit of work (object
    # state, RETURNING of server defaults nobody reads) cost more than the statement itself.
    await session.execute(
        _INSERT_EVENT,
        {
            "id": new_id("evt"),
            "event_type": event_type,
            "user_id": user_id,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "payload": payload,
            "metadata": context.as_metadata(),
        },
    )


_INSERT_EVENT = insert(cast(Table, Event.__table__))
