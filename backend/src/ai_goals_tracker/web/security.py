"""What every request and response passes through, the API, the dashboard, the static files and
every error alike.

Responses carry headers that forbid inline script, other origins, framing, sniffing and any cache
keeping a learner's data. Request bodies have a size limit, checked while they arrive: a larger one
answers 413.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ai_goals_tracker.errors import PayloadTooLargeError
from ai_goals_tracker.framework_errors import RefusedRequest
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.web import STATIC_PATH
from ai_goals_tracker.web.api_docs import ASSETS_PATH, DOCS_PATH


def _policy(images: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = _policy("'self'")
# Swagger UI (`/docs`, web/api_docs.py) draws its icons from `data:` URLs in its stylesheet.
API_DOCS_CONTENT_SECURITY_POLICY = _policy("'self' data:")

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
# Pages and API answers show one learner's private data: no shared or back-button cache may keep
# them. The dashboard's own script and style are the same for everyone and revalidate by ETag.
_PRIVATE = {**_HEADERS, "Cache-Control": "no-store", "Content-Security-Policy": CONTENT_SECURITY_POLICY}
_STATIC = {**_HEADERS, "Cache-Control": "no-cache", "Content-Security-Policy": CONTENT_SECURITY_POLICY}
_DOCS = {**_HEADERS, "Cache-Control": "no-store", "Content-Security-Policy": API_DOCS_CONTENT_SECURITY_POLICY}
_DOCS_ASSETS = {**_HEADERS, "Cache-Control": "no-cache", "Content-Security-Policy": API_DOCS_CONTENT_SECURITY_POLICY}


_BY_KIND = {"private": _PRIVATE, "static": _STATIC, "docs": _DOCS, "docs assets": _DOCS_ASSETS}
# Each set as the (lowercase name, value) pairs of an ASGI message, encoded once.
_RAW_BY_KIND = {
    kind: [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    for kind, headers in _BY_KIND.items()
}


def _kind(path: str) -> str:
    if path == DOCS_PATH:
        return "docs"
    if path.startswith(f"{ASSETS_PATH}/"):
        return "docs assets"
    return "static" if path.startswith(f"{STATIC_PATH}/") else "private"


def headers_for(path: str) -> dict[str, str]:
    return _BY_KIND[_kind(path)]


class SecurityHeadersMiddleware:
    """Adds the headers a response does not set itself to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = _RAW_BY_KIND[_kind(scope["path"])]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _value in headers}
                message["headers"] = headers + [pair for pair in wanted if pair[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimitMiddleware:
    """413 for a request body over `max_bytes`, raised to the handler reading it once that many bytes
    have arrived, so it is never read whole and is answered like any other refusal: JSON in the API's
    error shape, or on the dashboard the form's page with the reason."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RefusedRequest(
                        PayloadTooLargeError(
                            N_("The request body is larger than {limit} KB"), params={"limit": self.max_bytes // 1024}
                        )
                    )
            return message

        await self.app(scope, counting_receive, send)
