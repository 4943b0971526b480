"""Followers: code that reacts to the event log after the fact, reading it from a saved position.

The recorder only appends events; whatever else a change should cause (search upkeep) follows the
log, the way `eventsourcing` process applications track what they have processed. Each follower
has a row in `event_followers` holding the position of the last event it handled; one batch is
read, handled and the position saved in one transaction, so a batch is handled completely or not
at all, and a follower that fails is retried from where it stopped. Handlers must be idempotent:
a batch whose transaction failed is read again.

Order: events are read by (`txid`, `id`): the writing transaction's id, then the event id. An
event is read only once every transaction of this database that began before it has ended
(`txid < event_log_horizon()`, migration 015), so a slow transaction's events are never skipped
by a position that moved past them while it was still open. Retention (events/archive.py)
never deletes an event some follower has not passed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import cast, func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.db.engine import unit_of_work
from ai_goals_tracker.db.outage import database_unreachable
from ai_goals_tracker.models import Event
from ai_goals_tracker.models.event import XID8

logger = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Sequence[Event]], Awaitable[None]]

# Registered by the modules that follow the log (imported with the job modules).
FOLLOWERS: dict[str, Handler] = {}
BATCH_SIZE = 500
# How often an idle follower looks for new events: the delay between a change and its upkeep.
POLL_SECONDS = 0.5
# How often a follower looks again at committed events an older open transaction holds back.
HELD_BACK_POLL_SECONDS = 0.1
# After a failure (the database went away), wait this long before trying again.
FAILURE_PAUSE_SECONDS = 1.0

# The same transaction locks the position (SKIP LOCKED: another worker is following already) and
# reads the events after it.
_POSITION_SQL = text("SELECT txid::text, event_id FROM event_followers WHERE name = :name FOR UPDATE SKIP LOCKED")
_REGISTER_SQL = text("INSERT INTO event_followers (name) VALUES (:name) ON CONFLICT (name) DO NOTHING")
_SAVE_SQL = text(
    "UPDATE event_followers SET txid = CAST(:txid AS xid8), event_id = :event_id, updated_at = now() WHERE name = :name"
)

_AHEAD_SQL = text(
    "SELECT EXISTS (SELECT 1 FROM event_followers f JOIN events e ON (e.txid, e.id) > (f.txid, f.event_id)"
    " WHERE f.name = ANY(:names))"
)


def follower(name: str) -> Callable[[Handler], Handler]:
    """Register `handler` to receive every event, in order, in batches."""

    def register(handler: Handler) -> Handler:
        FOLLOWERS[name] = handler
        return handler

    return register


async def follow_once(sessionmaker: async_sessionmaker[AsyncSession], name: str, handler: Handler) -> int:
    """Handle the next batch of events; the number handled (0: caught up, or another worker holds it)."""
    async with unit_of_work(sessionmaker) as session:
        position = (await session.execute(_POSITION_SQL, {"name": name})).first()
        if position is None:
            await session.execute(_REGISTER_SQL, {"name": name})
            position = (await session.execute(_POSITION_SQL, {"name": name})).first()
            if position is None:
                return 0
        txid, event_id = position
        events = list(
            await session.scalars(
                select(Event)
                .where(
                    tuple_(Event.txid, Event.id) > tuple_(cast(txid, XID8()), event_id),
                    # A subquery: the horizon is computed once, not for every row scanned.
                    Event.txid < select(func.event_log_horizon()).scalar_subquery(),
                )
                .order_by(Event.txid, Event.id)
                .limit(BATCH_SIZE)
            )
        )
        if not events:
            return 0
        await handler(session, events)
        last = events[-1]
        await session.execute(_SAVE_SQL, {"name": name, "txid": last.txid, "event_id": last.id})
        return len(events)


async def catch_up(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Run every follower until it has handled every committed event.

    A committed event stays out of reach while an older transaction is open anywhere on the server
    (see "Order" above); the followers then wait for that transaction to end rather than report
    being caught up with events still ahead of them.
    """
    total = 0
    while True:
        for name, handler in FOLLOWERS.items():
            while handled := await follow_once(sessionmaker, name, handler):
                total += handled
        if not await _events_ahead(sessionmaker):
            return total
        await asyncio.sleep(HELD_BACK_POLL_SECONDS)


async def _events_ahead(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    """Whether a committed event lies beyond some follower's position."""
    async with sessionmaker() as session:
        ahead = await session.scalar(_AHEAD_SQL, {"names": list(FOLLOWERS)})
    return bool(ahead)


async def follow_forever(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """The worker's side task: follow the log until cancelled, surviving database outages."""
    while True:
        try:
            await catch_up(sessionmaker)
        except Exception as exc:
            if database_unreachable(exc):
                logger.warning("Following the event log paused: the database is unreachable (%s)", exc)
            else:
                logger.exception("Following the event log failed; trying again in %.0f s", FAILURE_PAUSE_SECONDS)
            await asyncio.sleep(FAILURE_PAUSE_SECONDS)
            continue
        await asyncio.sleep(POLL_SECONDS)
