"""The dashboard's forms are UTF-8 text, or they are refused.

Starlette reads a form leniently: a URL-encoded field that is not UTF-8 gets U+FFFD in place of its
bytes, and a multipart field is read as Latin-1 instead. Either way the learner's text would be
stored changed, without a word. The dashboard's pages declare UTF-8 and browsers send it, so a form
that is not UTF-8 was made by something else: it is refused before anything reads it.
"""

from __future__ import annotations

from contextlib import suppress
from urllib.parse import unquote_to_bytes

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from ai_goals_tracker.errors import AppError
from ai_goals_tracker.i18n import N_

URLENCODED = b"application/x-www-form-urlencoded"
MULTIPART = b"multipart/form-data"
_UTF8 = frozenset({b"utf-8", b"utf8"})


async def require_utf8_form(request: Request) -> None:
    """Reads the body of a form (kept by the request for the handler's own reading) and refuses it
    when a field's name or text is not UTF-8. An uploaded file's content is the handler's to judge."""
    content_type, options = parse_options_header(request.headers.get("content-type"))
    if content_type == URLENCODED:
        readable = _urlencoded_is_utf8(await request.body())
    elif content_type == MULTIPART and options.get(b"boundary"):
        # Starlette would read the fields in a charset the form declares: only UTF-8 is ours.
        declared = options.get(b"charset", b"utf-8").lower()
        readable = declared in _UTF8 and _multipart_is_utf8(options[b"boundary"], await request.body())
    else:
        return
    if not readable:
        raise AppError(N_("The form's text is not valid UTF-8, so nothing was saved; send it from the page again"))


def _is_utf8(data: bytes | bytearray) -> bool:
    try:
        bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _urlencoded_is_utf8(body: bytes) -> bool:
    # Browsers percent-encode every byte outside ASCII; the encoded bytes must then be UTF-8.
    return body.isascii() and _is_utf8(unquote_to_bytes(body))


def _multipart_is_utf8(boundary: bytes, body: bytes) -> bool:
    parts = _Utf8Parts()
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": parts.on_part_begin,
            "on_header_field": parts.on_header_field,
            "on_header_value": parts.on_header_value,
            "on_header_end": parts.on_header_end,
            "on_part_data": parts.on_part_data,
            "on_part_end": parts.on_part_end,
        },
    )
    # A broken multipart body is not this check's to refuse: Starlette's reading does, saying what is broken.
    with suppress(FormParserError):
        parser.write(body)
        parser.finalize()
    return parts.valid


class _Utf8Parts:
    """Follows a multipart body part by part: every header value, and the text of every part that
    is not a file, must be UTF-8."""

    def __init__(self) -> None:
        self.valid = True
        self._field = bytearray()
        self._value = bytearray()
        self._data = bytearray()
        self._is_file = False

    def on_part_begin(self) -> None:
        self._data = bytearray()
        self._is_file = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self.valid = self.valid and _is_utf8(self._value)
        if self._field.lower() == b"content-disposition":
            self._is_file = b"filename" in parse_options_header(bytes(self._value))[1]
        self._field = bytearray()
        self._value = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._is_file:
            self._data += data[start:end]

    def on_part_end(self) -> None:
        if not self._is_file:
            self.valid = self.valid and _is_utf8(self._data)
