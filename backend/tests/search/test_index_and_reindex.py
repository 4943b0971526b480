"""The search query's plan, filtered iterative scans, chunk deduplication, and reindexing across models."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import psycopg
import pytest
from fastapi import FastAPI
from numpy.typing import NDArray
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.ai.embeddings import OfflineEmbeddings
from ai_goals_tracker.config import OFFLINE_EMBEDDINGS_MODEL
from ai_goals_tracker.db.vector_index import hnsw_index_name
from ai_goals_tracker.models import CodeSnapshot, Embedding, User
from ai_goals_tracker.search import repository, service, upkeep

DIMS = 512


def unit_vectors(rng: np.random.Generator, count: int, dims: int = DIMS) -> NDArray[np.float32]:
    vectors = rng.standard_normal((count, dims)).astype(np.float32)
    normalized: NDArray[np.float32] = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normalized


async def _users(session: AsyncSession, count: int) -> list[User]:
    users = [User(email=f"u{i}@example.com", username=f"user{i}", hashed_password="x") for i in range(count)]
    session.add_all(users)
    await session.flush()
    return users


async def test_filtered_search_uses_the_hnsw_index_and_iterative_scans_fill_the_limit(session: AsyncSession) -> None:
    rng = np.random.default_rng(11)
    owner, *others = await _users(session, 3)
    vectors = unit_vectors(rng, 600)
    # The owner has 2 % of the rows: a plain HNSW scan (40 candidates) would return almost none of them.
    session.add_all(
        Embedding(
            user_id=owner.id if i % 50 == 0 else others[i % 2].id,
            entity_type="goal",
            entity_id=f"gol_{i}",
            content=f"goal {i}",
            embedding=vector.tolist(),
            model=OFFLINE_EMBEDDINGS_MODEL,
            meta={"title": f"goal {i}", "chunk": 0},
        )
        for i, vector in enumerate(vectors)
    )
    await session.flush()
    # Small tables are cheaper to scan than to search, and a per-user B-tree competes with HNSW:
    # take both away in this transaction to see what the HNSW path does.
    await session.execute(text("DROP INDEX idx_embeddings_user_id"))
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    query = unit_vectors(rng, 1)[0]
    await repository.configure_index_scan(session, 10)
    plan = "\n".join(
        await session.scalars(
            text("EXPLAIN " + repository.nearest_sql(DIMS, entity_type=False, exclude=False)),
            {
                "model": OFFLINE_EMBEDDINGS_MODEL,
                "user_id": owner.id,
                "query": repository.vector_literal(query),
                "limit": 10,
            },
        )
    )
    assert f"Index Scan using {hnsw_index_name(OFFLINE_EMBEDDINGS_MODEL)}" in plan

    found = await repository.nearest(
        session, model=OFFLINE_EMBEDDINGS_MODEL, dimensions=DIMS, query=query.tolist(), user_id=owner.id, limit=10
    )
    owned = np.array([vectors[i] for i in range(0, 600, 50)])
    exact = {f"gol_{i * 50}" for i in np.argsort(-(owned @ query))[:10]}
    assert len(found) == 10
    assert len({n.entity_id for n in found} & exact) >= 9
    assert [n.distance for n in found] == sorted(n.distance for n in found)
    await session.rollback()


async def test_a_long_file_is_one_result_however_many_chunks_match(app: FastAPI, session: AsyncSession) -> None:
    [user] = await _users(session, 1)
    code = "\n".join(f"def handler_{i}(request):\n    return render_invoice(request, {i})\n" for i in range(80))
    snapshot = CodeSnapshot(user_id=user.id, file_path="billing/views.py", language="python", code_content=code)
    session.add(snapshot)
    await session.commit()
    provider = OfflineEmbeddings()
    assert await upkeep.refresh_entity(app.state.sessionmaker, provider, "code_snapshot", snapshot.id) == "embedded"
    assert await upkeep.refresh_entity(app.state.sessionmaker, provider, "code_snapshot", snapshot.id) == "unchanged"
    rows = list(await session.scalars(select(Embedding).where(Embedding.entity_id == snapshot.id)))
    assert len(rows) > 2
    assert all(row.content.startswith("billing/views.py (python)\n") for row in rows)

    results = await service.search(
        session, provider, user_id=user.id, query="render an invoice", entity_type="code", limit=5
    )
    assert [(hit.entity_type, hit.entity_id, hit.title) for hit in results.items] == [
        ("code_snapshot", snapshot.id, "billing/views.py")
    ]
    assert results.items[0].snippet.startswith("def handler_")


class HashEmbeddings:
    """A stand-in for a remote model: deterministic vectors of another size, no server needed."""

    model = "text-embedding-3-small"
    dimensions = 1536

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        out = []
        for chunk in texts:
            seed = int.from_bytes(hashlib.sha256(chunk.encode()).digest()[:8], "big")
            vector = np.random.default_rng(seed).standard_normal(self.dimensions)
            out.append((vector / np.linalg.norm(vector)).tolist())
        return out

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return self.embed_sync(texts)


async def _models_and_indexes(database_url: str) -> tuple[dict[str, int], set[str]]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        rows = await (await conn.execute("SELECT model, count(*) FROM embeddings GROUP BY model")).fetchall()
        counts: dict[str, int] = {str(model): int(count) for model, count in rows}
        names = await (
            await conn.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'idx_embeddings_hnsw_%'")
        ).fetchall()
    return counts, {name for (name,) in names}


async def test_switching_models_builds_the_new_one_before_dropping_the_old(
    app: FastAPI, session: AsyncSession, database_url: str
) -> None:
    [user] = await _users(session, 1)
    user_id = user.id
    session.add_all(
        CodeSnapshot(user_id=user_id, file_path=f"f{i}.py", language="python", code_content=f"print({i})")
        for i in range(3)
    )
    await session.commit()
    offline = OfflineEmbeddings()
    first = await upkeep.reindex(app.state.sessionmaker, database_url, offline, searched_model=offline.model)
    assert (first.entities, first.rows) == (3, 3)

    # Building the new model leaves the old one (still configured) serving search.
    new = HashEmbeddings()
    built = await upkeep.reindex(app.state.sessionmaker, database_url, new, searched_model=offline.model)
    counts, indexes = await _models_and_indexes(database_url)
    assert counts == {offline.model: 3, new.model: 3}
    assert {hnsw_index_name(offline.model), hnsw_index_name(new.model)} <= indexes
    assert built.kept_models == [offline.model]
    old_results = await service.search(session, offline, user_id=user_id, query="print", entity_type=None, limit=3)
    assert len(old_results.items) == 3
    # An index built CONCURRENTLY waits for every open transaction: end this one.
    await session.rollback()

    # Once the configuration names the new model, reindexing retires the old one.
    switched = await upkeep.reindex(app.state.sessionmaker, database_url, new, searched_model=new.model)
    counts, indexes = await _models_and_indexes(database_url)
    assert counts == {new.model: 3}
    assert hnsw_index_name(offline.model) not in indexes
    assert switched.dropped_models == [offline.model]
    new_results = await service.search(
        session, new, user_id=user_id, query="f1.py (python)\nprint(1)", entity_type=None, limit=1
    )
    assert new_results.model == new.model
    assert new_results.items[0].title == "f1.py"
    assert new_results.items[0].score > 0.99  # the same text hashes to the same vector
    await session.rollback()

    # Leave the configured model's index in place for the other tests.
    await upkeep.reindex(app.state.sessionmaker, database_url, offline, searched_model=offline.model)


@pytest.mark.slow
def test_the_reindex_command_shows_progress_and_reports(database_url: str, tmp_path: Path, clean_db: None) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (id, email, username, hashed_password) VALUES ('usr_cli', 'c@x.io', 'c', 'x')")
        conn.execute(
            "INSERT INTO goals (id, user_id, title, validation_criteria) VALUES "
            "('gol_cli', 'usr_cli', 'Learn SQL window functions', '{}')"
        )
    result = subprocess.run(
        [sys.executable, "-m", "ai_goals_tracker.cli", "embeddings", "reindex"],
        capture_output=True,
        text=True,
        env={**os.environ, "AIGT_DATABASE_URL": database_url, "AIGT_HOME": str(tmp_path), "COLUMNS": "200"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"Embedding with {OFFLINE_EMBEDDINGS_MODEL}" in result.stdout
    assert "1/1" in result.stdout
    assert f"Reindexed 1 items into 1 rows of {OFFLINE_EMBEDDINGS_MODEL}" in result.stdout

    unknown = subprocess.run(
        [sys.executable, "-m", "ai_goals_tracker.cli", "embeddings", "reindex", "--model", "no-such-model"],
        capture_output=True,
        text=True,
        env={**os.environ, "AIGT_DATABASE_URL": database_url, "AIGT_HOME": str(tmp_path)},
        timeout=120,
    )
    assert unknown.returncode == 1
    assert "Unknown embeddings model 'no-such-model'" in unknown.stderr
