"""A small HTTP/1.1 keep-alive load generator on raw asyncio streams.

It is far lighter than an HTTP client library, so on a 2-core machine most CPU goes to the
server being measured; both servers of a comparison face the same generator.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    # What `probe` counted over the recorded window (e.g. the server's CPU seconds), if given one.
    probed: float | None = None

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def _connection(
    host: str, port: int, requests: list[bytes], until: float, record_from: float, result: dict[str, list[float]]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        sent = 0
        while (now := time.perf_counter()) < until:
            writer.write(requests[sent % len(requests)])
            sent += 1
            status = await _read_response(reader)
            elapsed = time.perf_counter() - now
            if now >= record_from:
                result["ok" if status < 300 else "errors"].append(elapsed)
    finally:
        writer.close()


def raw_request(host: str, port: int, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """One HTTP/1.1 keep-alive request as sent on the wire."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    if body or method not in ("GET", "HEAD"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def run_load(
    host: str,
    port: int,
    requests: list[list[bytes]],
    *,
    seconds: float,
    warmup: float,
    probe: Callable[[], float] | None = None,
) -> LoadResult:
    """One keep-alive connection per entry of `requests`, each sending its requests in turn, again and
    again, for `warmup` + `seconds`; only answers to requests sent after the warm-up are recorded."""
    start = time.perf_counter()
    record_from = start + warmup
    until = record_from + seconds
    result: dict[str, list[float]] = {"ok": [], "errors": []}
    probed: list[float] = []

    async def read_probe() -> None:
        if probe is not None:
            for moment in (record_from, until):
                await asyncio.sleep(max(0.0, moment - time.perf_counter()))
                probed.append(probe())

    await asyncio.gather(
        read_probe(), *(_connection(host, port, cycle, until, record_from, result) for cycle in requests)
    )
    return LoadResult(
        requests=len(result["ok"]),
        errors=len(result["errors"]),
        seconds=seconds,
        latencies=result["ok"],
        probed=probed[1] - probed[0] if len(probed) == 2 else None,
    )


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


class HttpConnection:
    """One keep-alive HTTP/1.1 connection, optionally from a given local address (the server then
    sees each simulated client at its own 127.0.0.x, as it would see learners at their own IPs)."""

    def __init__(self, host: str, port: int, local_address: str | None = None) -> None:
        self.host, self.port, self.local_address = host, port, local_address
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Response:
        """Send one request; a connection the server closed is opened again once."""
        for attempt in (1, 2):
            reader, writer = await self._open()
            lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
            lines += [f"{key}: {value}" for key, value in headers.items()]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            try:
                return await _read_full_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._streams is None:
            local = (self.local_address, 0) if self.local_address else None
            self._streams = await asyncio.open_connection(self.host, self.port, local_addr=local)
        return self._streams

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def _read_full_response(reader: asyncio.StreamReader) -> Response:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length: int | None = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
        elif name.lower() == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        return Response(status, await _read_chunks(reader))
    return Response(status, await reader.readexactly(length) if length else b"")


async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
    await reader.readuntil(b"\r\n")
    return b"".join(parts)
