"""The server's access log: one line per request with the client's address, the method, the path,
the status and the time the answer took. The same timing feeds the request-latency metric
(`metrics.observe_request`): one wrapper per request for both.

Never the query string: it holds what learners search for (`/search?q=…`) and whatever else a client
puts in a URL. Never a header either: tokens and cookies travel there. uvicorn's own access log
writes the query string, so `aigt serve` turns it off and logs through this one instead.
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ai_goals_tracker.metrics import observe_request

ACCESS_LOGGER = "ai_goals_tracker.access"
logger = logging.getLogger(ACCESS_LOGGER)


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # What the client gets when the app fails before answering: the error handler's 500.
        status = 500

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            seconds = time.perf_counter() - started
            observe_request(scope, status, seconds)
            if logger.isEnabledFor(logging.INFO):
                _log(scope, status, seconds)


def _log(scope: Scope, status: int, seconds: float) -> None:
    client = scope.get("client")
    logger.info(
        '%s - "%s %s" %d %.1f ms',
        f"{client[0]}:{client[1]}" if client else "-",
        scope["method"],
        # Quoted as uvicorn does: a decoded line break in the path cannot forge a line of the log.
        quote(scope["path"]),
        status,
        seconds * 1000,
    )


def server_log_config() -> dict[str, Any]:
    """uvicorn's logging setup, with this access log where uvicorn's own would write."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["requests"] = {
        "formatter": "default",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
    }
    config["loggers"][ACCESS_LOGGER] = {"handlers": ["requests"], "level": "INFO", "propagate": False}
    return config
