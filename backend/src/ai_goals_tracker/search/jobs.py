"""Embedding upkeep jobs, deferred by the event recorder in the transaction of the change.

`schedule_upkeep` runs for every recorded event; it must stay cheap because every change pays for
it: an event whose entity text is unchanged (status, progress, verdicts) costs one indexed lookup
and defers nothing.
"""

from __future__ import annotations

from procrastinate import RetryStrategy
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.ai.embeddings import ENTITY_TYPES, entity_text, get_embedding_provider
from ai_goals_tracker.jobs import defer_in_transaction, job_app, runtime
from ai_goals_tracker.models import Event
from ai_goals_tracker.models.enums import EventType
from ai_goals_tracker.search import repository, upkeep

EMBEDDINGS_QUEUE = "embeddings"
DELETION_EVENTS = frozenset({EventType.COURSE_DELETED, EventType.GOAL_DELETED, EventType.TASK_DELETED})
# A provider outage (remote embeddings) is retried for about ten minutes before the job gives up;
# the next change of the entity, or `aigt embeddings reindex`, embeds it again.
_RETRY = RetryStrategy(max_attempts=8, exponential_wait=2)


@job_app.task(name="embed_entity", queue=EMBEDDINGS_QUEUE, retry=_RETRY)
async def embed_entity(entity_type: str, entity_id: str) -> None:
    """(Re)embed one course, goal, task or code snapshot with the configured model."""
    jobs = runtime()
    await upkeep.refresh_entity(jobs.sessionmaker, get_embedding_provider(jobs.settings), entity_type, entity_id)


@job_app.task(name="purge_embeddings", queue=EMBEDDINGS_QUEUE, retry=_RETRY)
async def purge_embeddings(entity_type: str, entity_id: str, user_id: str) -> None:
    """Remove a deleted entity's rows, and those of entities its deletion cascaded to."""
    await upkeep.purge_entity(runtime().sessionmaker, entity_type, entity_id, user_id)


async def schedule_upkeep(session: AsyncSession, event: Event, *, text_changed: bool = True) -> None:
    """Called by `events.recorder.record`: keep the entity's embeddings in step with this change.
    `text_changed=False` (a status or progress change) needs nothing unless the entity is deleted."""
    entity_type, entity_id = event.entity_type, event.entity_id
    if entity_type not in ENTITY_TYPES or entity_id is None:
        return
    if event.event_type in DELETION_EVENTS:
        # Gone from search at once; the job catches rows an in-flight upkeep job writes meanwhile.
        await repository.delete_entity_rows(session, entity_type, entity_id)
        if event.user_id is not None:
            await defer_in_transaction(
                session, purge_embeddings, entity_type=entity_type, entity_id=entity_id, user_id=event.user_id
            )
        return
    if not text_changed:
        return
    digest = upkeep.content_hash(entity_text(entity_type, event.payload))
    if await repository.has_content_hash(session, entity_type, entity_id, digest):
        return
    await defer_in_transaction(session, embed_entity, entity_type=entity_type, entity_id=entity_id)
