"""The goal catalog in vector form, for choosing goals by meaning.

Each catalog goal gets two kinds of vectors per language: its topic (title, description,
technologies), matched against a course or a mistake, and its text as a saved goal would be
embedded (`entity_text`), matched against the user's own goals to skip what they already have.
Both languages are kept and the better match wins, so a Spanish course finds English wording too.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ai_goals_tracker.ai.embeddings import EmbeddingProvider, OfflineEmbeddings, entity_text, get_embedding_provider
from ai_goals_tracker.config import Settings
from ai_goals_tracker.search.catalog import LOCALES, CatalogGoal, Locale, load_catalog, localize

Matrix = NDArray[np.float32]

# A user goal at least this close to a catalog goal's saved text is that goal, possibly reworded or
# in the other language. Measured with the offline model on the catalog: distinct catalog goals
# reach 0.73 at most, while a goal and its own translation never fall below 0.81.
SAME_GOAL_SIMILARITY = 0.78


@dataclass(frozen=True)
class CatalogVectors:
    goals: tuple[CatalogGoal, ...]
    topics: tuple[Matrix, ...]
    saved_texts: tuple[Matrix, ...]

    def relevance(self, query: Sequence[float]) -> Matrix:
        """Each catalog goal's similarity to `query`: the better of its languages."""
        vector = np.asarray(query, dtype=np.float32)
        result: Matrix = np.max(np.stack([topic @ vector for topic in self.topics]), axis=0)
        return result

    def closest_owned(self, owned: Matrix) -> Matrix:
        """For each catalog goal, its similarity to the closest of the user's goals (rows of `owned`)."""
        if owned.shape[0] == 0:
            return np.full(len(self.goals), -1.0, dtype=np.float32)
        result: Matrix = np.max(np.stack([(texts @ owned.T).max(axis=1) for texts in self.saved_texts]), axis=0)
        return result


_cache: dict[str, CatalogVectors] = {}
# A threading lock: the vectors are built in a worker thread, by a request or by `warm_up`.
_lock = threading.Lock()


def _build(provider: EmbeddingProvider) -> CatalogVectors:
    with _lock:
        cached = _cache.get(provider.model)
        if cached is not None:
            return cached
        goals = tuple(load_catalog())
        topics: list[Matrix] = []
        saved: list[Matrix] = []
        for locale in LOCALES:
            topic_texts = [goal.search_text(locale) for goal in goals]
            saved_texts = [saved_text(goal, locale) for goal in goals]
            vectors = as_matrix(provider.embed_sync(topic_texts + saved_texts))
            topics.append(vectors[: len(goals)])
            saved.append(vectors[len(goals) :])
        built = CatalogVectors(goals=goals, topics=tuple(topics), saved_texts=tuple(saved))
        _cache[provider.model] = built
        return built


async def catalog_vectors(provider: EmbeddingProvider) -> CatalogVectors:
    """Computed once per model per process (about a hundred texts per language)."""
    cached = _cache.get(provider.model)
    return cached if cached is not None else await asyncio.to_thread(_build, provider)


def warm_up(settings: Settings) -> None:
    """Load the offline model and the catalog's vectors before the first request or job needs
    them, so the first goal suggestion and the first review do not pay a model load. A remote
    provider is left alone: contacting it at start-up would make a provider outage stop the server
    from starting."""
    provider = get_embedding_provider(settings)
    if isinstance(provider, OfflineEmbeddings):
        _build(provider)


def start_warm_up(settings: Settings) -> None:
    """`warm_up` in a background thread, as `aigt serve` and `aigt worker` start: the server answers
    (and the worker registers) at once, while the model loads beside them (a second or two on an
    idle machine, far longer on a loaded one). A request that needs the model meanwhile waits for
    the same load rather than starting another."""
    threading.Thread(target=warm_up, args=(settings,), name="aigt-embeddings-warm-up", daemon=True).start()


def saved_text(goal: CatalogGoal, locale: Locale) -> str:
    """The goal's text as a saved goal of the learner's would read, without its test module.

    A test module is code, not a description: its hundreds of tokens would outweigh the title and
    sentences, and a goal the learner wrote in their own words would no longer look like this one.
    """
    localized = localize(goal, locale)
    criteria = [
        criterion
        for criterion in localized["validation_criteria"]["criteria"]
        if not (isinstance(criterion, dict) and criterion.get("check") == "tests")
    ]
    return entity_text("goal", {**localized, "validation_criteria": {"criteria": criteria}})[0]


def as_matrix(vectors: Sequence[Sequence[float]]) -> Matrix:
    if not vectors:
        return np.zeros((0, 0), dtype=np.float32)
    return np.asarray(vectors, dtype=np.float32)
