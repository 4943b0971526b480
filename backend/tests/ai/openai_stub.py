"""A local OpenAI-compatible server for tests: POST /v1/chat/completions answers from a script."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted answer: message content (a JSON document or not), an HTTP error, or a delay.

    `finish_reason="length"` is how a server says the answer was cut at `max_tokens`.
    """

    content: str = ""
    status: int = 200
    delay_seconds: float = 0.0
    finish_reason: str = "stop"


@dataclass
class StubState:
    replies: list[Reply]
    # Response formats this server refuses with a 500, as llama-cpp-python's server refuses json_schema.
    refused_formats: frozenset[str] = frozenset()
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_reply(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.requests.append(body)
            if (body.get("response_format") or {}).get("type") in self.refused_formats:
                return Reply(status=500)
            # The last reply repeats, so a script of one answers every request the same way.
            return self.replies[min(len(self.requests), len(self.replies)) - 1]


def completion(content: str, model: str, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def _handler(state: StubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                return
            reply = state.next_reply(body)
            time.sleep(reply.delay_seconds)
            if reply.status != 200:
                self._send(reply.status, {"error": {"message": "stub failure", "type": "server_error"}})
                return
            self._send(200, completion(reply.content, str(body.get("model", "stub")), reply.finish_reason))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (timeout tests)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def openai_stub(*replies: Reply, refused_formats: frozenset[str] = frozenset()) -> Iterator[tuple[str, StubState]]:
    """Serve `replies` on 127.0.0.1 (a free port); yields the base URL and the recorded requests."""
    state = StubState(list(replies), refused_formats)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", state
    finally:
        server.shutdown()
        server.server_close()
