"""Embedding upkeep: a follower of the event log, and the jobs it defers.

The follower reads every event after the recorder committed it (events/follower.py). For each
course, goal, task or code snapshot the batch touched, it compares the hash of the text the entity
is now embedded from (taken from its latest event's payload) with the hash its rows were computed
from: most events (status, progress, verdicts) change nothing and cost nothing more. An entity
whose text changed gets one `embed_entity` job; the job's queueing lock keeps it to one waiting job
per entity, which embeds whatever text is current when it runs, so a burst of edits is embedded once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from procrastinate import RetryStrategy
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.ai.embeddings import ENTITY_TYPES, entity_text, get_embedding_provider
from ai_goals_tracker.events.follower import follower
from ai_goals_tracker.jobs import (
    EMBEDDING_PRIORITY,
    WORKER_STARTUP_HOOKS,
    RetryThroughOutages,
    defer_in_transaction,
    job_app,
    queued_locks,
    runtime,
    user_lock,
)
from ai_goals_tracker.models import Event
from ai_goals_tracker.models.enums import EventType
from ai_goals_tracker.search import repository, upkeep
from ai_goals_tracker.search.catalog_match import start_warm_up

EMBEDDINGS_QUEUE = "embeddings"
FOLLOWER_NAME = "search_upkeep"
DELETION_EVENTS = frozenset({EventType.COURSE_DELETED, EventType.GOAL_DELETED, EventType.TASK_DELETED})
# A provider outage (remote embeddings) is retried for about ten minutes before the job gives up;
# the next change of the entity, or `aigt embeddings reindex`, embeds it again.
_RETRY = RetryThroughOutages(RetryStrategy(max_attempts=8, exponential_wait=2))

# The first review and the first search after start-up should not pay for loading the model.
WORKER_STARTUP_HOOKS.append(lambda: start_warm_up(runtime().settings))


def embed_lock(entity_type: str, entity_id: str) -> str:
    return f"embed:{entity_type}:{entity_id}"


@job_app.task(name="embed_entity", queue=EMBEDDINGS_QUEUE, retry=_RETRY, priority=EMBEDDING_PRIORITY)
async def embed_entity(entity_type: str, entity_id: str) -> None:
    """(Re)embed one course, goal, task or code snapshot with the configured model."""
    jobs = runtime()
    await upkeep.refresh_entity(jobs.sessionmaker, get_embedding_provider(jobs.settings), entity_type, entity_id)


@job_app.task(name="purge_embeddings", queue=EMBEDDINGS_QUEUE, retry=_RETRY, priority=EMBEDDING_PRIORITY)
async def purge_embeddings(entity_type: str, entity_id: str, user_id: str) -> None:
    """Remove a deleted entity's rows, and those of entities its deletion cascaded to."""
    await upkeep.purge_entity(runtime().sessionmaker, entity_type, entity_id, user_id)


@follower(FOLLOWER_NAME)
async def follow_events(session: AsyncSession, events: Sequence[Event]) -> None:
    """Keep the embeddings of the entities these events touched in step with them."""
    latest: dict[tuple[str, str], Event] = {}
    for event in events:
        if event.entity_type in ENTITY_TYPES:
            latest[(event.entity_type, event.entity_id)] = event
    changed: dict[str, dict[str, Event]] = defaultdict(dict)
    for (entity_type, entity_id), event in latest.items():
        if event.event_type in DELETION_EVENTS:
            await _purge(session, event)
        else:
            changed[entity_type][entity_id] = event
    for entity_type, by_id in changed.items():
        digests = {
            entity_id: upkeep.content_hash(entity_text(entity_type, event.payload))
            for entity_id, event in by_id.items()
        }
        current = await repository.entities_with_content(session, entity_type, digests)
        stale = [entity_id for entity_id in by_id if entity_id not in current]
        waiting = await queued_locks(session, [embed_lock(entity_type, entity_id) for entity_id in stale])
        for entity_id in stale:
            if embed_lock(entity_type, entity_id) in waiting:
                continue
            await defer_in_transaction(
                session,
                embed_entity,
                lock=user_lock(by_id[entity_id].user_id),
                queueing_lock=embed_lock(entity_type, entity_id),
                entity_type=entity_type,
                entity_id=entity_id,
            )


async def _purge(session: AsyncSession, event: Event) -> None:
    await repository.delete_entity_rows(session, event.entity_type, event.entity_id)
    if event.user_id is not None:
        # The job catches rows an upkeep job still running writes after this delete.
        await defer_in_transaction(
            session,
            purge_embeddings,
            lock=user_lock(event.user_id),
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            user_id=event.user_id,
        )
