"""Nearest-neighbour queries on embeddings go through the per-model HNSW index."""

from __future__ import annotations

import random

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.config import OFFLINE_EMBEDDINGS_MODEL
from ai_goals_tracker.db.vector_index import hnsw_index_name
from ai_goals_tracker.models import Embedding, User


def unit_vector(rng: random.Random, dims: int) -> list[float]:
    values = [rng.gauss(0, 1) for _ in range(dims)]
    norm = sum(v * v for v in values) ** 0.5
    return [v / norm for v in values]


async def test_nearest_neighbour_query_uses_the_hnsw_index(session: AsyncSession) -> None:
    rng = random.Random(7)
    user = User(email="v@example.com", username="vec", hashed_password="x")
    session.add(user)
    await session.flush()
    session.add_all(
        Embedding(
            user_id=user.id,
            entity_type="goal",
            entity_id=f"gol_{i}",
            content=f"text {i}",
            embedding=unit_vector(rng, 512),
            model=OFFLINE_EMBEDDINGS_MODEL,
        )
        for i in range(200)
    )
    await session.commit()
    # 200 rows are cheaper to scan than to search; what matters is that this query shape can use
    # the partial expression index at all, which is what the planner shows once scans are off.
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    query = str(unit_vector(rng, 512))
    plan = await session.scalars(
        text(
            "EXPLAIN SELECT entity_id FROM embeddings WHERE model = :model "
            "ORDER BY embedding::vector(512) <=> CAST(:q AS vector(512)) LIMIT 10"
        ),
        {"model": OFFLINE_EMBEDDINGS_MODEL, "q": query},
    )
    assert f"Index Scan using {hnsw_index_name(OFFLINE_EMBEDDINGS_MODEL)}" in "\n".join(plan)
    nearest = await session.scalars(
        text(
            "SELECT entity_id FROM embeddings WHERE model = :model "
            "ORDER BY embedding::vector(512) <=> CAST(:q AS vector(512)) LIMIT 3"
        ),
        {"model": OFFLINE_EMBEDDINGS_MODEL, "q": query},
    )
    assert len(list(nearest)) == 3
