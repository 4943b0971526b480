"""Semantic search over the caller's own courses, goals, tasks and code, in any language.

Rows of several chunks (long code) can fill a LIMIT with one file; results are deduplicated per
entity, asking the index for more candidates until the page is full or the user has no more.
"""

from __future__ import annotations

import math

from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.ai.embeddings import EmbeddingProvider, entity_text
from ai_goals_tracker.models import Goal
from ai_goals_tracker.search import repository
from ai_goals_tracker.search.repository import Neighbour
from ai_goals_tracker.search.schemas import EntityTypeFilter, SearchHit, SearchResults
from ai_goals_tracker.search.upkeep import entity_fields

SNIPPET_CHARS = 240
# Growth of the candidate list when chunks of the same entity crowd out a page, and its ceiling.
_WIDEN = 4
MAX_CANDIDATES = 1000


def _entity_type(value: EntityTypeFilter | None) -> str | None:
    return "code_snapshot" if value == "code" else value


def snippet(neighbour: Neighbour, title: str) -> str:
    """At most SNIPPET_CHARS characters (and an ellipsis) of what matched, whatever the stored text is."""
    lines = neighbour.content.splitlines()
    # The first line repeats the title (or, for code, the file header); the rest is what matched.
    if len(lines) > 1 and (neighbour.entity_type == "code_snapshot" or lines[0].strip() == title.strip()):
        lines = lines[1:]
    if neighbour.entity_type == "code_snapshot":
        # Blank lines and the indentation before the first line of code say nothing in a snippet.
        body = "\n".join(line.rstrip() for line in lines if line.strip()).lstrip()
    else:
        body = " ".join(" ".join(lines).split())
    if len(body) <= SNIPPET_CHARS:
        return body
    head = body[:SNIPPET_CHARS]
    # Cut before the last word that does not fit whole, unless the head is a single word.
    words = head.rsplit(None, 1)
    cut = words[0] if len(words) == 2 and not body[SNIPPET_CHARS].isspace() else head
    return (cut.rstrip(" ,.;:") or head.rstrip()) + "…"


def score(distance: float) -> float:
    """Cosine similarity from pgvector's cosine distance; 0 where there is none (a zero vector's NaN)."""
    return round(1.0 - distance, 4) if math.isfinite(distance) else 0.0


def _hit(neighbour: Neighbour) -> SearchHit:
    title = str(neighbour.meta.get("title") or "")
    return SearchHit(
        entity_type=neighbour.entity_type,
        entity_id=neighbour.entity_id,
        title=title,
        snippet=snippet(neighbour, title),
        score=score(neighbour.distance),
    )


async def _ranked(
    session: AsyncSession,
    provider: EmbeddingProvider,
    query: list[float],
    *,
    user_id: str,
    limit: int,
    entity_type: str | None,
    exclude_entity_id: str | None = None,
) -> list[SearchHit]:
    # Only code is chunked; other entities have one row each, so their first page is exact.
    candidates = limit * 2 if entity_type in (None, "code_snapshot") else limit
    while True:
        neighbours = await repository.nearest(
            session,
            model=provider.model,
            dimensions=provider.dimensions,
            query=query,
            user_id=user_id,
            limit=candidates,
            entity_type=entity_type,
            exclude_entity_id=exclude_entity_id,
        )
        hits = best_per_entity(neighbours, limit)
        exhausted = len(neighbours) < candidates or candidates >= MAX_CANDIDATES
        if len(hits) >= limit or exhausted:
            return hits
        candidates = min(candidates * _WIDEN, MAX_CANDIDATES)


def best_per_entity(neighbours: list[Neighbour], limit: int) -> list[SearchHit]:
    """The first `limit` entities of the ranked rows, each once, by its best-ranked row (chunk)."""
    best: dict[tuple[str, str], Neighbour] = {}
    for neighbour in neighbours:
        best.setdefault((neighbour.entity_type, neighbour.entity_id), neighbour)
    return [_hit(neighbour) for neighbour in best.values()][:limit]


async def search(
    session: AsyncSession,
    provider: EmbeddingProvider,
    *,
    user_id: str,
    query: str,
    entity_type: EntityTypeFilter | None,
    limit: int,
) -> SearchResults:
    [vector] = await provider.embed([query])
    hits = await _ranked(session, provider, vector, user_id=user_id, limit=limit, entity_type=_entity_type(entity_type))
    return SearchResults(query=query, model=provider.model, items=hits)


async def similar_goals(session: AsyncSession, provider: EmbeddingProvider, goal: Goal, *, limit: int) -> SearchResults:
    """The owner's other goals closest in meaning to `goal`."""
    vector = await repository.stored_vector(session, "goal", goal.id, provider.model)
    if vector is None:
        # Not embedded yet (its upkeep job is still queued): embed it now rather than answer nothing.
        texts = entity_text("goal", entity_fields(goal))
        if not texts:
            return SearchResults(query=goal.title, model=provider.model, items=[])
        [vector] = await provider.embed(texts[:1])
    hits = await _ranked(
        session, provider, vector, user_id=goal.user_id, limit=limit, entity_type="goal", exclude_entity_id=goal.id
    )
    return SearchResults(query=goal.title, model=provider.model, items=hits)
