"""Appending to the event log, inside the caller's transaction (a transactional outbox).

The payload is the entity's full state after the change (before it, for a deletion), so the
log alone can rebuild the database. Secrets never enter it.
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
from ai_goals_tracker.search.jobs import schedule_upkeep

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


# The attributes whose text is embedded for semantic search (see ai/embeddings.entity_text).
EMBEDDED_ATTRIBUTES = ("title", "description", "validation_criteria", "meta", "file_path", "language", "code_content")


def embedded_text_changed(entity: Base) -> bool:
    """Whether this change may alter the entity's embedded text: new rows, or an edited text field.
    Status and progress changes (most events) then cost search upkeep nothing."""
    state = inspect(entity)
    if state.pending or state.transient:
        return True
    return any(name in state.attrs and state.attrs[name].history.has_changes() for name in EMBEDDED_ATTRIBUTES)


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
    # Read before the flush below resets the attributes' change history.
    text_changed = embedded_text_changed(entity)
    # Flush first so the payload holds what the database computed (ids, timestamps, defaults).
    await session.flush()
    payload = entity_state(entity)
    if extra:
        payload = {**payload, **extra}
    event = await record_raw(
        session,
        event_type,
        entity_type=entity_type_of(entity),
        entity_id=entity.id,  # type: ignore[attr-defined]
        payload=payload,
        context=context,
        user_id=user_id,
    )
    await schedule_upkeep(session, event, text_changed=text_changed)
    return event


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
