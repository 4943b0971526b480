"""The HTTP server of `aigt serve`: uvicorn, with read deadlines and the process's stop signals.

uvicorn has no deadline on reading a request: a client that sends its headers (or its body) a byte
at a time, or opens connections and sends nothing, holds them open for ever (slowloris). Here a
connection must deliver a request's headers within `header_timeout_seconds` of its first byte (of the
connection's opening, for the first request) and its body within `body_timeout_seconds` of the
headers; otherwise it is answered `408` and closed. Between requests uvicorn's keep-alive timeout
closes idle connections.

Stop signals (`stopping.py`): SIGTERM, SIGINT and SIGHUP stop the server gracefully (uvicorn's own
handling re-raised SIGTERM after its shutdown, which killed the process before its exit hooks
could stop the embedded PostgreSQL); a second signal stops at once.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from collections.abc import Generator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ai_goals_tracker.access_log import server_log_config
from ai_goals_tracker.config import Settings
from ai_goals_tracker.stopping import STOP_SIGNALS, announce_stop, stop_now

# A protocol-level answer, sent before the request reaches the application (and its languages).
_TIMEOUT_BODY = json.dumps(
    {"detail": "The request did not arrive in time; send it again", "code": "request_timeout"}
).encode()
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    + f"content-length: {len(_TIMEOUT_BODY)}\r\n\r\n".encode()
    + _TIMEOUT_BODY
)


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline on each request's headers, then on its body."""

    header_timeout = 10.0
    body_timeout = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout)

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and (self.cycle is None or self.cycle.response_complete):
            # The first byte of the next request on a kept-alive connection.
            self._arm(self.header_timeout)
        super().data_received(data)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(self.body_timeout)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        reading_headers = cycle is None or cycle.response_complete
        if reading_headers or not cycle.response_started:
            self.transport.write(TIMEOUT_RESPONSE)
        if cycle is not None and not cycle.response_complete:
            # The application stops waiting for the rest of the body (it reads a disconnect) and its
            # answer, if it still gives one, goes nowhere: the client was given the 408.
            cycle.keep_alive = False
        self.transport.close()


def _protocol(settings: Settings) -> type[DeadlineProtocol]:
    return type(
        "ConfiguredDeadlineProtocol",
        (DeadlineProtocol,),
        {"header_timeout": settings.header_timeout_seconds, "body_timeout": settings.body_timeout_seconds},
    )


class _Server(uvicorn.Server):
    """uvicorn's server, stopped gracefully by any of `STOP_SIGNALS` and at once by a second one."""

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {signum: signal.signal(signum, self.handle_exit) for signum in STOP_SIGNALS}
        try:
            yield
        finally:
            # Unlike uvicorn, the signal is not raised again once stopped: the process then ends
            # normally, and its exit hooks stop the embedded server.
            for signum, handler in original.items():
                signal.signal(signum, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            stop_now(sig)
        announce_stop(sig)
        self.should_exit = True


def build_server(app: Any, settings: Settings, *, host: str, port: int) -> uvicorn.Server:
    trusted = settings.trusted_proxy_list
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=_protocol(settings),
        log_level="info",
        # The app logs each request itself, without the query string that uvicorn's access log writes.
        access_log=False,
        log_config=server_log_config(),
        # uvicorn believes X-Forwarded-For from 127.0.0.1 by default: any local process (or a
        # same-host proxy passing the header through) could then pick its own client address.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )
    return _Server(config)
