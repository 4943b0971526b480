"""Keeping `embeddings` in step with courses, goals, tasks and code snapshots.

An entity's rows are recomputed only when the text it is embedded from changes: each row keeps
the hash of that text, so progress-only updates cost a hash and one indexed lookup. Writers of one
entity's rows (upkeep jobs, a reindex) serialize on an advisory lock, and embed outside any
transaction so a slow provider never holds locks or connections.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import psycopg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.ai.embeddings import (
    EmbeddingProvider,
    OfflineEmbeddings,
    embedding_dimensions,
    entity_text,
    get_embedding_provider,
)
from ai_goals_tracker.config import OFFLINE_EMBEDDINGS_MODEL, Settings
from ai_goals_tracker.db.engine import unit_of_work
from ai_goals_tracker.db.server import libpq_dsn
from ai_goals_tracker.db.vector_index import create_hnsw_index_sql, hnsw_index_name
from ai_goals_tracker.models import CodeSnapshot, Goal
from ai_goals_tracker.search import repository
from ai_goals_tracker.search.repository import ENTITY_MODELS, Entity

logger = logging.getLogger(__name__)

Outcome = Literal["embedded", "unchanged", "removed", "superseded"]

REINDEX_BATCH = 64


def entity_fields(entity: Entity) -> dict[str, Any]:
    """The fields `entity_text` reads, taken from a loaded row."""
    if isinstance(entity, CodeSnapshot):
        return {"file_path": entity.file_path, "language": entity.language, "code_content": entity.code_content}
    fields: dict[str, Any] = {"title": entity.title, "description": entity.description, "metadata": entity.meta}
    if isinstance(entity, Goal):
        fields["validation_criteria"] = entity.validation_criteria
    return fields


def entity_title(entity_type: str, fields: dict[str, Any]) -> str:
    if entity_type == "code_snapshot":
        return str(fields.get("file_path") or "")
    return str(fields.get("title") or "")


def content_hash(texts: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for chunk in texts:
        digest.update(chunk.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass(frozen=True)
class _Snapshot:
    """What an entity is embedded from, read at one moment."""

    user_id: str
    texts: list[str]
    digest: str
    title: str


def _snapshot(entity_type: str, entity: Entity) -> _Snapshot:
    fields = entity_fields(entity)
    texts = entity_text(entity_type, fields)
    return _Snapshot(entity.user_id, texts, content_hash(texts), entity_title(entity_type, fields))


async def _write(
    session: AsyncSession,
    entity_type: str,
    entity_id: str,
    model: str,
    snapshot: _Snapshot,
    vectors: Sequence[Sequence[float]],
) -> None:
    if not snapshot.texts:
        await repository.delete_model_rows(session, entity_type, entity_id, model)
        return
    await repository.replace_rows(
        session,
        user_id=snapshot.user_id,
        entity_type=entity_type,
        entity_id=entity_id,
        model=model,
        texts=snapshot.texts,
        vectors=vectors,
        meta={"content_hash": snapshot.digest, "title": snapshot.title},
    )


async def refresh_entity(
    sessionmaker: async_sessionmaker[AsyncSession], provider: EmbeddingProvider, entity_type: str, entity_id: str
) -> Outcome:
    """Bring one entity's rows of the provider's model up to date; safe to run any number of times."""
    async with unit_of_work(sessionmaker) as session:
        found = await repository.load_entities(session, entity_type, [entity_id])
        if not found:
            await repository.delete_entity_rows(session, entity_type, entity_id)
            return "removed"
        before = _snapshot(entity_type, found[0])
        stored = await repository.content_hashes(session, entity_type, [entity_id], provider.model)
        if stored.get(entity_id) == before.digest:
            return "unchanged"
    vectors = await provider.embed(before.texts) if before.texts else []
    async with unit_of_work(sessionmaker) as session:
        await repository.lock_entities(session, entity_type, [entity_id])
        found = await repository.load_entities(session, entity_type, [entity_id], hold=True)
        if not found:
            await repository.delete_entity_rows(session, entity_type, entity_id)
            return "removed"
        if _snapshot(entity_type, found[0]).digest != before.digest:
            # Changed while we embedded: that change deferred its own job, which writes the newer text.
            return "superseded"
        await _write(session, entity_type, entity_id, provider.model, before, vectors)
    return "embedded"


async def purge_entity(
    sessionmaker: async_sessionmaker[AsyncSession], entity_type: str, entity_id: str, user_id: str
) -> int:
    """After a deletion committed: drop the entity's rows and any the cascade left behind."""
    async with unit_of_work(sessionmaker) as session:
        await repository.lock_entities(session, entity_type, [entity_id])
        if not await repository.load_entities(session, entity_type, [entity_id]):
            await repository.delete_entity_rows(session, entity_type, entity_id)
        return await repository.delete_orphans(session, user_id)


def provider_for_model(settings: Settings, model: str | None) -> EmbeddingProvider:
    """The configured provider, or the one serving `model` (the offline model, or `model` on the
    configured OpenAI-compatible server)."""
    if model is None or model == settings.embeddings_model:
        return get_embedding_provider(settings)
    embedding_dimensions(model)  # an unknown model fails here, before any work is done
    if model == OFFLINE_EMBEDDINGS_MODEL:
        return OfflineEmbeddings()
    return get_embedding_provider(settings.model_copy(update={"embeddings_model": model}))


# Reindexing --------------------------------------------------------------------------------------


@dataclass
class ReindexReport:
    model: str
    entities: int = 0
    rows: int = 0
    index: str = ""
    dropped_models: list[str] = field(default_factory=list)
    kept_models: list[str] = field(default_factory=list)


async def count_entities(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return await repository.count_entities(session)


async def _reindex_type(
    sessionmaker: async_sessionmaker[AsyncSession],
    provider: EmbeddingProvider,
    entity_type: str,
    report: ReindexReport,
    advance: Callable[[int], None],
) -> None:
    after = ""
    while True:
        async with sessionmaker() as session:
            batch = await repository.entities_after(session, entity_type, after, REINDEX_BATCH)
        if not batch:
            return
        after = batch[-1].id
        snapshots = {entity.id: _snapshot(entity_type, entity) for entity in batch}
        vectors = await _embed_all(provider, snapshots)
        async with unit_of_work(sessionmaker) as session:
            ids = list(snapshots)
            await repository.lock_entities(session, entity_type, ids)
            current = {
                entity.id: _snapshot(entity_type, entity)
                for entity in await repository.load_entities(session, entity_type, ids, hold=True)
            }
            # Rows changed since they were read are embedded again here, so no stale text is written.
            stale = {
                entity_id: snap for entity_id, snap in current.items() if snap.digest != snapshots[entity_id].digest
            }
            vectors.update(await _embed_all(provider, stale))
            for entity_id, snapshot in current.items():
                await _write(session, entity_type, entity_id, provider.model, snapshot, vectors[entity_id])
                report.rows += len(snapshot.texts)
            for entity_id in set(ids) - set(current):
                await repository.delete_entity_rows(session, entity_type, entity_id)
        report.entities += len(batch)
        advance(len(batch))


async def _embed_all(provider: EmbeddingProvider, snapshots: dict[str, _Snapshot]) -> dict[str, list[list[float]]]:
    flat = [chunk for snapshot in snapshots.values() for chunk in snapshot.texts]
    vectors = await provider.embed(flat) if flat else []
    out: dict[str, list[list[float]]] = {}
    start = 0
    for entity_id, snapshot in snapshots.items():
        out[entity_id] = vectors[start : start + len(snapshot.texts)]
        start += len(snapshot.texts)
    return out


async def ensure_hnsw_index(dsn: str, model: str) -> str:
    """The model's HNSW index, built CONCURRENTLY (writes continue meanwhile); an invalid leftover
    of an interrupted build is dropped and rebuilt."""
    name = hnsw_index_name(model)
    async with await psycopg.AsyncConnection.connect(libpq_dsn(dsn), autocommit=True) as conn:
        if await repository.index_is_valid(conn, name) is False:
            await repository.drop_index(conn, name)
        await conn.execute(create_hnsw_index_sql(model, embedding_dimensions(model), concurrently=True))
    return name


async def _retire_other_models(sessionmaker: async_sessionmaker[AsyncSession], dsn: str, model: str) -> list[str]:
    async with unit_of_work(sessionmaker) as session:
        others = await repository.other_models(session, model)
        await repository.delete_other_models(session, model)
    keep = hnsw_index_name(model)
    async with await psycopg.AsyncConnection.connect(libpq_dsn(dsn), autocommit=True) as conn:
        for name in await repository.hnsw_index_names(conn):
            if name != keep:
                await repository.drop_index(conn, name)
    return others


async def reindex(
    sessionmaker: async_sessionmaker[AsyncSession],
    dsn: str,
    provider: EmbeddingProvider,
    *,
    searched_model: str,
    advance: Callable[[int], None] = lambda _count: None,
) -> ReindexReport:
    """Re-embed every entity with `provider`, build its model's index, then retire other models.

    Other models' rows and indexes are dropped only when `provider` is the model search uses
    (`searched_model`, the configured one): building a new model first leaves the old one serving
    search until the configuration switches to the new model.
    """
    report = ReindexReport(model=provider.model)
    for entity_type in ENTITY_MODELS:
        await _reindex_type(sessionmaker, provider, entity_type, report, advance)
    report.index = await ensure_hnsw_index(dsn, provider.model)
    if provider.model == searched_model:
        report.dropped_models = await _retire_other_models(sessionmaker, dsn, provider.model)
    else:
        async with sessionmaker() as session:
            report.kept_models = await repository.other_models(session, provider.model)
    async with unit_of_work(sessionmaker) as session:
        await repository.analyze(session)
    return report
