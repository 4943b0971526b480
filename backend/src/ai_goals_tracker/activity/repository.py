from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from ai_goals_tracker.models import Event
from ai_goals_tracker.models.enums import EventType


def list_query(
    user_id: str,
    *,
    event_type: EventType | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    since: datetime | None = None,
) -> Select[Event]:
    """A user's events in the order they happened."""
    query = select(Event).where(Event.user_id == user_id)
    if event_type is not None:
        query = query.where(Event.event_type == event_type)
    if entity_type is not None:
        query = query.where(Event.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(Event.entity_id == entity_id)
    if since is not None:
        query = query.where(Event.created_at >= since)
    return query.order_by(Event.created_at, Event.id)
