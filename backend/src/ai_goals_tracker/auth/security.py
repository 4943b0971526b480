"""Password hashing (argon2id) and signed tokens (JWT, HS256)."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, TypeVar

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

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

# argon2id with argon2-cffi's memory and passes (64 MiB, 3, as in RFC 9106's second recommendation)
# in one lane where the RFC and the library have four. argon2 runs each lane in a thread of its own,
# and the kernel shares the CPU out per thread: a login's four threads outweighed the event loop's one
# four to one, so a burst of logins slowed every other request of the process several times over.
# One lane costs the same CPU, and an attacker the same memory.
_hasher = PasswordHasher(parallelism=1)
# Verifying against this when the account does not exist keeps login time independent of it.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
# argon2 takes a quarter of a CPU second by design; on the event loop that would stall every other
# request of the process, so it runs in threads of its own, one per core: logins that crowd in wait
# their turn here rather than each taking a share of the CPU from the other requests.
HASHING_THREADS = os.cpu_count() or 1
_hashing = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="aigt-password-hashing")


async def _hashing_thread(function: Callable[..., _T], *args: Any) -> _T:
    return await asyncio.get_running_loop().run_in_executor(_hashing, function, *args)


async def hash_password(password: str) -> str:
    return await _hashing_thread(_hasher.hash, password)


async def verify_password(hashed: str | None, password: str) -> bool:
    return await _hashing_thread(_verify, hashed, password)


def needs_rehash(hashed: str) -> bool:
    """Whether a stored hash was made with other parameters than new ones are (so that a login
    with the right password stores it again, as new ones are made)."""
    return _hasher.check_needs_rehash(hashed)


def _verify(hashed: str | None, password: str) -> bool:
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


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
