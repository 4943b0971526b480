"""A slow client cannot hold a connection of `aigt serve` open: headers must arrive within
AIGT_HEADER_TIMEOUT_SECONDS, a body within AIGT_BODY_TIMEOUT_SECONDS of its headers; otherwise the
answer is 408 and the connection is closed (slowloris). Shortened here to a second or two."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from tests.conftest import serving

pytestmark = pytest.mark.slow

# How long a test waits for the server to act: a guard against hanging, not a budget.
PATIENCE_SECONDS = 120


@pytest.fixture(scope="module")
def server(
    scratch_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    from ai_goals_tracker.db import migrations

    dsn = scratch_database("timeouts")
    migrations.upgrade(dsn)
    env = {"AIGT_DATABASE_URL": dsn, "AIGT_HEADER_TIMEOUT_SECONDS": "1", "AIGT_BODY_TIMEOUT_SECONDS": "2"}
    with serving(tmp_path_factory.mktemp("timeouts"), env, "--no-worker") as base_url:
        address = urlsplit(base_url)
        assert address.hostname is not None and address.port is not None
        yield address.hostname, address.port


def _connect(server: tuple[str, int]) -> socket.socket:
    connection = socket.create_connection(server, timeout=PATIENCE_SECONDS)
    connection.settimeout(PATIENCE_SECONDS)
    return connection


def _read_until_closed(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (TimeoutError if it never does)."""
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def test_headers_sent_without_their_end_are_answered_408_and_closed(server: tuple[str, int]) -> None:
    with _connect(server) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
        answer = _read_until_closed(connection)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b'"code":"request_timeout"' in answer.replace(b" ", b"")


def test_headers_trickled_a_byte_at_a_time_do_not_hold_the_connection(server: tuple[str, int]) -> None:
    """Slowloris: each byte comes well within any idle timeout, the headers never end."""
    ended = False
    with _connect(server) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        deadline = time.monotonic() + PATIENCE_SECONDS
        while time.monotonic() < deadline:
            readable, _, _ = select.select([connection], [], [], 0.2)
            if readable:
                ended = True
                break
            try:
                connection.sendall(b"x")
            except OSError:
                ended = True
                break
        answer = _read_until_closed(connection) if ended else b""
    assert ended, "the server kept reading the trickled headers"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 "), answer[:200]


def test_a_body_that_never_ends_is_cut_off_with_408(server: tuple[str, int]) -> None:
    with _connect(server) as connection:
        connection.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=a"
        )
        answer = _read_until_closed(connection)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]


def test_a_connection_that_sends_nothing_is_closed(server: tuple[str, int]) -> None:
    with _connect(server) as connection:
        answer = _read_until_closed(connection)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 ")


def _read_answer(connection: socket.socket) -> bytes:
    """One answer: its head, then as many bytes of body as it says."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += connection.recv(65536)
    return head


def test_whole_requests_on_a_kept_alive_connection_are_answered(server: tuple[str, int]) -> None:
    request = b"GET /openapi.json HTTP/1.1\r\nHost: localhost\r\n\r\n"
    with _connect(server) as connection:
        heads = []
        for _ in range(2):
            connection.sendall(request)
            heads.append(_read_answer(connection))
    assert [head.split(b"\r\n", 1)[0] for head in heads] == [b"HTTP/1.1 200 OK"] * 2
