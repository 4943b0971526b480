"""The one error hierarchy. Services raise these; one handler turns them into responses."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status_code: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code
        self.headers = headers
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The JSON a client receives."""
        return {"detail": self.message, "code": self.code, **self.extra}


class ConfigurationError(AppError):
    """Raised before the app can serve: bad settings, unreachable or unsuitable database."""

    status_code = 500
    code = "configuration_error"


class NotFoundError(AppError):
    status_code = 404
    code = "not_found"


class ConflictError(AppError):
    status_code = 409
    code = "conflict"


class UnauthorizedError(AppError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: str = "Not authenticated") -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class ForbiddenError(AppError):
    status_code = 403
    code = "forbidden"


class ValidationFailedError(AppError):
    """A 422 shaped like FastAPI's own: `{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`."""

    status_code = 422
    code = "validation_error"

    def body(self) -> dict[str, Any]:
        field = self.extra.get("field")
        location = ["body", field] if field else ["body"]
        return {"detail": [{"loc": location, "msg": self.message, "type": self.code}]}


class PayloadTooLargeError(AppError):
    status_code = 413
    code = "payload_too_large"


class RateLimitedError(AppError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class ServiceUnavailableError(AppError):
    """A dependency (the database) is unreachable: nothing is wrong with the request, retry later."""

    status_code = 503
    code = "service_unavailable"

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
