"""Prefixed, time-ordered identifiers: `gol_01JH7Q...`.

The part after the prefix is a ULID (48-bit millisecond timestamp + 80 random bits in Crockford
base32), so ids sort by creation time within a prefix and btree inserts stay append-mostly.
Inside one process ids are strictly increasing, even within the same millisecond.
"""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_RANDOM_MAX = (1 << _RANDOM_BITS) - 1

PREFIXES = {
    "user": "usr",
    "course": "crs",
    "goal": "gol",
    "task": "tsk",
    "code_snapshot": "cs",
    "event": "evt",
    "embedding": "emb",
}

_lock = threading.Lock()
_last_ms = 0
_last_random = 0


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def _next_ulid() -> int:
    global _last_ms, _last_random
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms <= _last_ms and _last_random < _RANDOM_MAX:
            now_ms = _last_ms
            _last_random += 1
        else:
            _last_random = int.from_bytes(os.urandom(10), "big") >> 1
        _last_ms = now_ms
        return (now_ms << _RANDOM_BITS) | _last_random


def new_id(prefix: str) -> str:
    return f"{prefix}_{_encode(_next_ulid(), 26)}"


def id_timestamp_ms(identifier: str) -> int:
    """The creation time in milliseconds that an id carries."""
    ulid = identifier.split("_", 1)[1]
    value = 0
    for char in ulid:
        value = value * 32 + _ALPHABET.index(char)
    return value >> _RANDOM_BITS
