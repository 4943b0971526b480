"""Queries on `embeddings`: one model's rows per entity, and nearest neighbours through HNSW.

Every nearest-neighbour query is written as `WHERE model = :model ORDER BY embedding::vector(n) <=> q`,
the exact expression and predicate of that model's partial index (db/vector_index.py); any other
shape makes the planner fall back to scanning every row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import psycopg
from sqlalchemy import delete, func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.db.vector_index import HNSW_INDEX_PREFIX, vector_cast
from ai_goals_tracker.models import CodeSnapshot, Course, Embedding, Goal, Task

Entity = Course | Goal | Task | CodeSnapshot

ENTITY_MODELS: dict[str, type[Course] | type[Goal] | type[Task] | type[CodeSnapshot]] = {
    "course": Course,
    "goal": Goal,
    "task": Task,
    "code_snapshot": CodeSnapshot,
}
ENTITY_TABLES: dict[str, str] = {
    "course": "courses",
    "goal": "goals",
    "task": "tasks",
    "code_snapshot": "code_snapshots",
}

# Iterative index scans keep walking the HNSW graph until the filtered LIMIT is filled (pgvector
# >= 0.8). relaxed_order is the fast mode; the outer ORDER BY restores exact order among the hits.
ITERATIVE_SCAN = "relaxed_order"
# The candidate list of one graph search, per query shape (benchmarks/search_bench.py, 512-dimensional
# data); a larger LIMIT needs at least that many candidates. An unfiltered search keeps recall@10 at
# 0.99 with 64. A search within one user's rows (every search of the product) walks the graph past
# other users' rows: relaxed iterative scans keep recall@10 above 0.97 with 200.
MIN_EF_SEARCH = 64
PER_USER_EF_SEARCH = 200
# How many tuples an iterative scan may visit before giving up: enough for a user who owns 0.1 %
# of a million rows to fill a page of 50, while bounding the worst case of a nearly empty filter.
MAX_SCAN_TUPLES = 50_000


@dataclass(frozen=True)
class Neighbour:
    entity_type: str
    entity_id: str
    content: str
    meta: dict[str, Any]
    distance: float


def vector_literal(vector: Sequence[float]) -> str:
    """pgvector's text form: bound as a string and cast in SQL, so no adapter is needed."""
    return "[" + ",".join(f"{value:.7g}" for value in vector) + "]"


def lock_key(entity_type: str, entity_id: str) -> str:
    return f"embeddings:{entity_type}:{entity_id}"


async def lock_entities(session: AsyncSession, entity_type: str, entity_ids: Sequence[str]) -> None:
    """Serialize writers of the same entities' rows (an upkeep job and a reindex) until commit."""
    keys = sorted(lock_key(entity_type, entity_id) for entity_id in entity_ids)
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) FROM unnest(CAST(:keys AS text[])) AS key"),
        {"keys": keys},
    )


async def content_hashes(
    session: AsyncSession, entity_type: str, entity_ids: Sequence[str], model: str
) -> dict[str, str]:
    """The content hash each entity's rows of `model` were computed from."""
    rows = await session.execute(
        select(Embedding.entity_id, Embedding.meta["content_hash"].astext)
        .where(Embedding.entity_type == entity_type, Embedding.entity_id.in_(entity_ids), Embedding.model == model)
        .distinct()
    )
    return {entity_id: digest for entity_id, digest in rows if digest is not None}


async def entities_with_content(session: AsyncSession, entity_type: str, digests: Mapping[str, str]) -> set[str]:
    """The entities (of `digests`, id -> content hash) whose rows of any model were computed from
    exactly that content: they need no upkeep."""
    if not digests:
        return set()
    rows = await session.execute(
        select(Embedding.entity_id)
        .where(
            Embedding.entity_type == entity_type,
            tuple_(Embedding.entity_id, Embedding.meta["content_hash"].astext).in_(list(digests.items())),
        )
        .distinct()
    )
    return set(rows.scalars())


async def replace_rows(
    session: AsyncSession,
    *,
    user_id: str,
    entity_type: str,
    entity_id: str,
    model: str,
    texts: Sequence[str],
    vectors: Sequence[Sequence[float]],
    meta: dict[str, Any],
) -> None:
    await session.execute(
        delete(Embedding).where(
            Embedding.entity_type == entity_type, Embedding.entity_id == entity_id, Embedding.model == model
        )
    )
    session.add_all(
        Embedding(
            user_id=user_id,
            entity_type=entity_type,
            entity_id=entity_id,
            content=chunk,
            embedding=list(vector),
            model=model,
            meta={**meta, "chunk": index, "chunks": len(texts)},
        )
        for index, (chunk, vector) in enumerate(zip(texts, vectors, strict=True))
    )
    await session.flush()


async def delete_entity_rows(session: AsyncSession, entity_type: str, entity_id: str) -> None:
    """Every model's rows of the entity, and for a goal those of its tasks (deleted with it by cascade)."""
    await session.execute(
        delete(Embedding).where(Embedding.entity_type == entity_type, Embedding.entity_id == entity_id)
    )
    if entity_type == "goal":
        await session.execute(
            delete(Embedding).where(
                Embedding.entity_type == "task",
                Embedding.entity_id.in_(select(Task.id).where(Task.goal_id == entity_id)),
            )
        )


async def delete_model_rows(session: AsyncSession, entity_type: str, entity_id: str, model: str) -> None:
    """One model's rows of the entity (its text became empty)."""
    await session.execute(
        delete(Embedding).where(
            Embedding.entity_type == entity_type, Embedding.entity_id == entity_id, Embedding.model == model
        )
    )


async def load_entities(
    session: AsyncSession, entity_type: str, entity_ids: Sequence[str], *, hold: bool = False
) -> list[Entity]:
    """The entities that still exist; `hold` keeps them from being deleted until the transaction ends."""
    model = ENTITY_MODELS[entity_type]
    query = select(model).where(model.id.in_(entity_ids))
    if hold:
        # KEY SHARE blocks a concurrent DELETE of the row until these rows are written, but not updates.
        query = query.with_for_update(read=True, key_share=True)
    return cast(list[Entity], list(await session.scalars(query)))


async def entities_after(session: AsyncSession, entity_type: str, after: str, limit: int) -> list[Entity]:
    """The next `limit` entities of a type in id order, for walking all of them in batches."""
    model = ENTITY_MODELS[entity_type]
    rows = await session.scalars(select(model).where(model.id > after).order_by(model.id).limit(limit))
    return cast(list[Entity], list(rows))


async def count_entities(session: AsyncSession) -> int:
    total = 0
    for model in ENTITY_MODELS.values():
        total += await session.scalar(select(func.count()).select_from(model)) or 0
    return total


async def other_models(session: AsyncSession, model: str) -> list[str]:
    """The embedding models with rows, besides `model`."""
    return list(await session.scalars(select(Embedding.model).where(Embedding.model != model).distinct()))


async def delete_other_models(session: AsyncSession, model: str) -> None:
    await session.execute(delete(Embedding).where(Embedding.model != model))


async def analyze(session: AsyncSession) -> None:
    """Fresh statistics let the planner weigh the HNSW index against a per-user scan correctly."""
    await session.execute(text("ANALYZE embeddings"))


# Index maintenance runs outside a transaction (CONCURRENTLY), on an autocommit psycopg connection.


async def index_is_valid(conn: psycopg.AsyncConnection[Any], name: str) -> bool | None:
    """Whether the index is valid; None when there is no such index."""
    row = await (
        await conn.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            (name,),
        )
    ).fetchone()
    return None if row is None else bool(row[0])


async def hnsw_index_names(conn: psycopg.AsyncConnection[Any]) -> list[str]:
    rows = await (
        await conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'embeddings' AND indexname LIKE %s",
            (HNSW_INDEX_PREFIX + "%",),
        )
    ).fetchall()
    return [name for (name,) in rows]


async def drop_index(conn: psycopg.AsyncConnection[Any], name: str) -> None:
    await conn.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


async def delete_orphans(session: AsyncSession, user_id: str) -> int:
    """Rows of the user's entities that no longer exist (cascades delete rows without events)."""
    removed = 0
    for entity_type, table in ENTITY_TABLES.items():
        result = await session.execute(
            text(
                f"DELETE FROM embeddings e WHERE e.user_id = :user_id AND e.entity_type = :entity_type "  # noqa: S608
                f"AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = e.entity_id)"
            ),
            {"user_id": user_id, "entity_type": entity_type},
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


async def stored_vector(session: AsyncSession, entity_type: str, entity_id: str, model: str) -> list[float] | None:
    """The entity's first chunk's vector of `model`, if it has been embedded."""
    row = await session.scalar(
        select(Embedding.embedding)
        .where(Embedding.entity_type == entity_type, Embedding.entity_id == entity_id, Embedding.model == model)
        .order_by(Embedding.meta["chunk"].as_integer())
        .limit(1)
    )
    return None if row is None else [float(value) for value in row]


async def stored_vectors(session: AsyncSession, user_id: str, entity_type: str, model: str) -> dict[str, list[float]]:
    """Every first-chunk vector of one type of the user's entities, by entity id."""
    rows = await session.execute(
        select(Embedding.entity_id, Embedding.embedding).where(
            Embedding.user_id == user_id,
            Embedding.entity_type == entity_type,
            Embedding.model == model,
            Embedding.meta["chunk"].as_integer() == 0,
        )
    )
    return {entity_id: [float(value) for value in vector] for entity_id, vector in rows}


async def configure_index_scan(session: AsyncSession, candidates: int) -> None:
    """Settings for this transaction's HNSW scans, which are all within one user's rows; `candidates`
    is the LIMIT about to be asked for."""
    await session.execute(
        text(
            "SELECT set_config('hnsw.iterative_scan', :mode, true), set_config('hnsw.ef_search', :ef, true), "
            "set_config('hnsw.max_scan_tuples', :tuples, true)"
        ),
        {"mode": ITERATIVE_SCAN, "ef": str(max(PER_USER_EF_SEARCH, candidates)), "tuples": str(MAX_SCAN_TUPLES)},
    )


def nearest_sql(dimensions: int, *, entity_type: bool, exclude: bool) -> str:
    cast = vector_cast(dimensions)
    filters = ["model = :model", "user_id = :user_id"]
    if entity_type:
        filters.append("entity_type = :entity_type")
    if exclude:
        filters.append("entity_id <> :exclude_id")
    # MATERIALIZED keeps the planner from merging the outer ORDER BY into the index scan, which
    # would undo relaxed_order's speed-up. Only a vector type and fixed filters are interpolated.
    return (
        "WITH nearest AS MATERIALIZED ("  # noqa: S608
        f"SELECT entity_type, entity_id, content, metadata, embedding::{cast} <=> CAST(:query AS {cast}) AS distance "
        f"FROM embeddings WHERE {' AND '.join(filters)} "
        f"ORDER BY embedding::{cast} <=> CAST(:query AS {cast}) LIMIT :limit"
        ") SELECT entity_type, entity_id, content, metadata, distance FROM nearest ORDER BY distance"
    )


async def nearest(
    session: AsyncSession,
    *,
    model: str,
    dimensions: int,
    query: Sequence[float],
    user_id: str,
    limit: int,
    entity_type: str | None = None,
    exclude_entity_id: str | None = None,
) -> list[Neighbour]:
    """The user's `limit` rows of `model` closest to `query` (cosine distance), closest first."""
    await configure_index_scan(session, limit)
    params: dict[str, Any] = {"model": model, "user_id": user_id, "query": vector_literal(query), "limit": limit}
    if entity_type is not None:
        params["entity_type"] = entity_type
    if exclude_entity_id is not None:
        params["exclude_id"] = exclude_entity_id
    sql = nearest_sql(dimensions, entity_type=entity_type is not None, exclude=exclude_entity_id is not None)
    rows = await session.execute(text(sql), params)
    return [
        Neighbour(entity_type=row[0], entity_id=row[1], content=row[2], meta=dict(row[3] or {}), distance=float(row[4]))
        for row in rows
    ]
