"""The one error hierarchy. Services raise these; one handler turns them into responses.

A message is an English message id marked with `N_` and its `params`: the response is written in the
reader's language at the boundary (`text(locale)`), while `message` keeps the English for logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ai_goals_tracker.i18n import DEFAULT_LOCALE, N_, Locale, Message, translate


class AppError(Exception):
    status_code: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: Message,
        *,
        params: Mapping[str, object] | None = None,
        status_code: int | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.template = message
        self.params = dict(params or {})
        self.message = self.text(DEFAULT_LOCALE)
        super().__init__(self.message)
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code
        self.headers = headers
        self.extra = extra or {}

    def text(self, locale: Locale) -> str:
        return translate("api", locale, self.template, self.params)

    def body(self, locale: Locale = DEFAULT_LOCALE) -> dict[str, Any]:
        """The JSON a client receives: prose in `locale`, the code and the extra fields as they are."""
        return {"detail": self.text(locale), "code": self.code, **self.extra}


class InvalidValue(ValueError):
    """What a validator raises: Pydantic reports it as a 422 field message, written in the reader's
    language like any other error (`field_messages`)."""

    def __init__(self, message: Message, params: Mapping[str, object] | None = None) -> None:
        self.template = message
        self.params = dict(params or {})
        super().__init__(self.text(DEFAULT_LOCALE))

    def text(self, locale: Locale) -> str:
        return translate("api", locale, self.template, self.params)


class ConfigurationError(AppError):
    """Raised before the app can serve: bad settings, unreachable or unsuitable database. Its
    readers are the people running the server, so it stays in English and takes any text."""

    status_code = 500
    code = "configuration_error"

    def __init__(self, message: str) -> None:
        super().__init__(Message(message))

    def text(self, locale: Locale) -> str:
        return self.template


class NotFoundError(AppError):
    status_code = 404
    code = "not_found"


class ConflictError(AppError):
    status_code = 409
    code = "conflict"


class UnauthorizedError(AppError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: Message = N_("Not authenticated"), params: Mapping[str, object] | None = None) -> None:
        super().__init__(message, params=params, headers={"WWW-Authenticate": "Bearer"})


class ForbiddenError(AppError):
    status_code = 403
    code = "forbidden"


class ValidationFailedError(AppError):
    """A 422 shaped like FastAPI's own, with the code every error carries:
    `{"detail": [{"loc": [...], "msg": ..., "type": ...}], "code": "validation_error"}`."""

    status_code = 422
    code = "validation_error"

    def body(self, locale: Locale = DEFAULT_LOCALE) -> dict[str, Any]:
        field = self.extra.get("field")
        location = ["body", field] if field else ["body"]
        return {"detail": [{"loc": location, "msg": self.text(locale), "type": self.code}], "code": self.code}


class PayloadTooLargeError(AppError):
    status_code = 413
    code = "payload_too_large"


class RateLimitedError(AppError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: Message, retry_after: int) -> None:
        super().__init__(message, params={"seconds": retry_after}, headers={"Retry-After": str(retry_after)})


class ServiceUnavailableError(AppError):
    """A dependency (the database) is unreachable: nothing is wrong with the request, retry later."""

    status_code = 503
    code = "service_unavailable"

    def __init__(self, message: Message, *, retry_after: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
