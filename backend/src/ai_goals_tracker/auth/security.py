"""Password hashing (argon2id) and signed tokens (JWT, HS256)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, TypeVar

import jwt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from ai_goals_tracker.config import Settings, get_settings
from ai_goals_tracker.errors import UnauthorizedError
from ai_goals_tracker.i18n import N_, Message

_T = TypeVar("_T")

ALGORITHM = "HS256"
TokenKind = Literal["access", "refresh"]
_EXPECTED: dict[TokenKind, Message] = {
    "access": N_("Expected an access token"),
    "refresh": N_("Expected a refresh token"),
}
SESSION_ENDED = N_("Session has ended; log in again")


def password_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.password_hash_time_cost,
        memory_cost=settings.password_hash_memory_kib,
        parallelism=settings.password_hash_parallelism,
        type=Type.ID,
    )


@dataclass(frozen=True)
class _Hashing:
    hasher: PasswordHasher
    # Verifying against this when the account does not exist keeps login time independent of it.
    dummy_hash: str


@lru_cache(maxsize=1)
def _hashing() -> _Hashing:
    # Made at first use rather than at import: the settings may refuse the cost parameters, and the
    # command line reports that as one line only once it runs.
    hasher = password_hasher(get_settings())
    return _Hashing(hasher, hasher.hash(secrets.token_urlsafe(16)))


# argon2 takes a quarter of a CPU second by design; on the event loop that would stall every other
# request of the process, so it runs in threads of its own, one per core: logins that crowd in wait
# their turn here rather than each taking a share of the CPU from the other requests.
HASHING_THREADS = os.cpu_count() or 1
# And at a lower scheduling priority: a burst of logins (or someone guessing passwords from many
# addresses) then slows logins down, not the other requests the machine serves.
HASHING_NICENESS = 10


def _lower_this_threads_priority() -> None:
    # On Linux the nice value belongs to each thread, so this leaves the event loop's own alone.
    # Elsewhere it may name no thread: logins then hash at the usual priority.
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + HASHING_NICENESS)


_hashing_pool = ThreadPoolExecutor(
    max_workers=HASHING_THREADS, thread_name_prefix="aigt-password-hashing", initializer=_lower_this_threads_priority
)


async def _hashing_thread(function: Callable[..., _T], *args: Any) -> _T:
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool, function, *args)


async def hash_password(password: str) -> str:
    return await _hashing_thread(lambda: _hashing().hasher.hash(password))


async def verify_password(hashed: str | None, password: str) -> bool:
    return await _hashing_thread(_verify, hashed, password)


def _verify(hashed: str | None, password: str) -> bool:
    hashing = _hashing()
    try:
        return hashing.hasher.verify(hashed or hashing.dummy_hash, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    """Whether a hash that just verified was made with other parameters than the configured ones."""
    return _hashing().hasher.check_needs_rehash(hashed)


def new_token_id() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    session_id: str
    token_id: str
    kind: TokenKind
    expires_at: datetime


def encode_token(
    secret: str, *, kind: TokenKind, user_id: str, session_id: str, token_id: str, lifetime: timedelta
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": user_id,
        "sid": session_id,
        "jti": token_id,
        "typ": kind,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str, kind: TokenKind) -> TokenClaims:
    claims = _verified_claims(secret, token)
    if claims.expires_at <= datetime.now(UTC):
        raise UnauthorizedError(N_("Token expired"))
    if claims.kind != kind:
        raise UnauthorizedError(_EXPECTED[kind])
    return claims


@lru_cache(maxsize=4096)
def _verified_claims(secret: str, token: str) -> TokenClaims:
    """The signature check, remembered: a client sends the same access token with every request.
    Expiry is checked by the caller each time; whether the session still lives, by the database."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "sid", "jti", "typ", "exp"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise UnauthorizedError(N_("Token expired")) from exc
    except jwt.PyJWTError as exc:
        raise UnauthorizedError(N_("Invalid token")) from exc
    kind: TokenKind = "refresh" if claims["typ"] == "refresh" else "access"
    if claims["typ"] not in ("access", "refresh"):
        raise UnauthorizedError(N_("Invalid token"))
    return TokenClaims(
        user_id=claims["sub"],
        session_id=claims["sid"],
        token_id=claims["jti"],
        kind=kind,
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
    )
