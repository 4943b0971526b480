"""What the framework refuses on its own, as an `AppError`: no such path, a method the path does not
take, a body or a form it cannot read. FastAPI and Starlette raise these as `HTTPException`s whose
detail is an English sentence; turned into `AppError`s they are answered like every other error, with
a `code`, in the reader's language, as JSON on the API and as a page on the dashboard.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from starlette.exceptions import HTTPException

from ai_goals_tracker.errors import AppError
from ai_goals_tracker.i18n import N_, Message

# Statuses the router answers with their bare phrase.
_PHRASES: dict[int, Message] = {
    400: N_("Bad Request"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
}
# The sentences FastAPI's body reader and Starlette's form parsers write, and what they mean.
_SENTENCES: tuple[tuple[re.Pattern[str], Message], ...] = (
    (
        re.compile(r"There was an error parsing the body"),
        N_("The request body could not be read: it must be JSON (or a form) encoded as UTF-8"),
    ),
    (
        re.compile(r"Too many fields\. Maximum number of fields is (?P<limit>\d+)\."),
        N_("Too many fields: a form may have at most {limit}"),
    ),
    (
        re.compile(r"Too many files\. Maximum number of files is (?P<limit>\d+)\."),
        N_("Too many files: a form may have at most {limit}"),
    ),
    (
        re.compile(r"(?:Field|Part) exceeded maximum size of (?P<limit>\d+)KB\."),
        N_("A field of the form is larger than {limit} KB"),
    ),
    (re.compile(r"Missing boundary in multipart\."), N_("The form is multipart but names no boundary")),
    (
        re.compile(r'The Content-Disposition header field "name" must be provided\.'),
        N_("A part of the form has no name"),
    ),
)
_UNREADABLE = N_("The request could not be read")


class RefusedRequest(HTTPException):
    """An `AppError` raised where only an `HTTPException` gets through unchanged: while FastAPI
    reads a request's body, from a middleware's `receive`."""

    def __init__(self, error: AppError) -> None:
        super().__init__(error.status_code, error.message, error.headers)
        self.error = error


def framework_error(exc: HTTPException) -> AppError:
    """The `AppError` saying what `exc` says, with the code its status is known by (`not_found`)."""
    if isinstance(exc, RefusedRequest):
        return exc.error
    status = exc.status_code
    code = HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    message, params = _message(status, str(exc.detail))
    headers = dict(exc.headers) if exc.headers is not None else None
    return AppError(message, params=params, status_code=status, code=code, headers=headers)


def _message(status: int, detail: str) -> tuple[Message, dict[str, object]]:
    if status in _PHRASES and detail == HTTPStatus(status).phrase:
        return _PHRASES[status], {}
    for pattern, message in _SENTENCES:
        match = pattern.fullmatch(detail)
        if match is not None:
            return message, {name: int(value) for name, value in match.groupdict().items()}
    # A sentence of the framework's not listed above: said in the reader's language, in general terms.
    return _UNREADABLE, {}
