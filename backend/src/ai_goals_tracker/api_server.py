"""What a client of the API knows apart from its requests: the server's address, the tokens it keeps
for it, and the failures it reports.

Apart from `client.py`, which imports every read schema (and through them the models): the command
line needs these before it knows which command will run, and most commands never send a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

DEFAULT_SERVER = "http://127.0.0.1:8000"
# The server caps `?wait=` at 30 s.
MAX_WAIT_SECONDS = 30


class Tokens(TypedDict):
    """The pair the client sends and stores; the rest of `TokenPair` is of no use between runs."""

    access_token: str
    refresh_token: str


def normalize_server(url: str) -> str:
    return url.strip().rstrip("/")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ApiError(Exception):
    """A request that did not succeed; `exit_code` lets the CLI tell failures apart."""

    exit_code = 1

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class ServerUnreachableError(ApiError):
    exit_code = 3


class NotAuthenticatedError(ApiError):
    exit_code = 4


class NotFoundError(ApiError):
    exit_code = 5


class ValidationError(ApiError):
    exit_code = 6

    def __init__(self, message: str, fields: list[FieldError]) -> None:
        super().__init__(message, status_code=422)
        self.fields = fields


class ConflictError(ApiError):
    exit_code = 7
