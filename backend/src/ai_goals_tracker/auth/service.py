"""Login, refresh-token rotation with reuse detection, logout, and login rate limiting."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.auth import repository
from ai_goals_tracker.auth.schemas import TokenPair
from ai_goals_tracker.auth.security import (
    SESSION_ENDED,
    decode_token,
    encode_token,
    hash_password,
    needs_rehash,
    new_token_id,
    verify_password,
)
from ai_goals_tracker.config import Settings
from ai_goals_tracker.db.engine import end_reads, unit_of_work
from ai_goals_tracker.errors import ForbiddenError, RateLimitedError, UnauthorizedError
from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.i18n import N_, Message
from ai_goals_tracker.models import AuthSession, User
from ai_goals_tracker.models.enums import EventType

RATE_WINDOW = timedelta(minutes=1)
ATTEMPTS_KEPT = timedelta(hours=1)


@dataclass(frozen=True)
class TokenSettings:
    secret: str
    access_lifetime: timedelta
    refresh_lifetime: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenSettings:
        return cls(
            secret=settings.resolved_secret_key(),
            access_lifetime=timedelta(minutes=settings.access_token_minutes),
            refresh_lifetime=timedelta(days=settings.refresh_token_days),
        )


@dataclass(frozen=True)
class GuessLimits:
    """Wrong passwords allowed per minute: for one account from one address (so an attacker
    elsewhere cannot lock the owner out), and for any accounts from one address (so one address
    cannot spray guesses across accounts). Successful logins do not count: a classroom behind one
    address logs in freely."""

    per_account_and_address: int
    per_address: int

    @classmethod
    def from_settings(cls, settings: Settings) -> GuessLimits:
        return cls(settings.login_attempts_per_minute, settings.login_attempts_per_address_per_minute)


async def count_password_attempt(
    sessionmaker: async_sessionmaker[AsyncSession], *, account: str, ip_address: str, limits: GuessLimits
) -> str:
    """Count a password check before it is made, in its own transaction so a wrong password still
    counts (429 past the limits); returns the attempt's id, deleted when the password turns out right."""
    async with unit_of_work(sessionmaker) as session:
        await repository.lock_login_keys(session, f"{account} {ip_address}", ip_address)
        by_account, by_address = await repository.count_recent_attempts(
            session, account=account, ip_address=ip_address, window=RATE_WINDOW
        )
        full = [
            bucket
            for bucket, limit in ((by_account, limits.per_account_and_address), (by_address, limits.per_address))
            if bucket.count >= limit
        ]
        if full:
            retry_after = max(_seconds_until_window_frees(bucket.oldest) for bucket in full)
            raise RateLimitedError(
                N_("Too many login attempts; try again in {seconds} seconds"), retry_after=retry_after
            )
        return await repository.add_attempt(session, account=account, ip_address=ip_address, keep=ATTEMPTS_KEPT)


# Registrations are counted in the attempts' table under addresses of their own, apart from logins:
# a classroom registering does not use up the address's allowance of wrong passwords.
_REGISTRATION = "registration"


async def count_registration(
    sessionmaker: async_sessionmaker[AsyncSession], *, ip_address: str, per_minute: int
) -> None:
    """Count a registration from this address before it is made, in its own transaction (a refused
    one counts too); 429 past `per_minute` in the last minute."""
    key = f"{_REGISTRATION}:{ip_address}"
    async with unit_of_work(sessionmaker) as session:
        await repository.lock_login_keys(session, key)
        _, by_address = await repository.count_recent_attempts(
            session, account=_REGISTRATION, ip_address=key, window=RATE_WINDOW
        )
        if by_address.count >= per_minute:
            raise RateLimitedError(
                N_("Too many accounts registered from your address; try again in {seconds} seconds"),
                retry_after=_seconds_until_window_frees(by_address.oldest),
            )
        await repository.add_attempt(session, account=_REGISTRATION, ip_address=key, keep=ATTEMPTS_KEPT)


async def count_login_attempt(
    sessionmaker: async_sessionmaker[AsyncSession], *, login: str, ip_address: str, limits: GuessLimits
) -> str:
    async with sessionmaker() as session:
        account = await _account_key(session, login)
    return await count_password_attempt(sessionmaker, account=account, ip_address=ip_address, limits=limits)


async def _account_key(session: AsyncSession, login: str) -> str:
    """The account a login names. Keyed by user id when it exists, so switching between the
    username and the email does not buy an attacker a second allowance."""
    user = await repository.get_user_by_login(session, login.strip())
    return user.id if user is not None else login.strip().lower()


def _seconds_until_window_frees(oldest: datetime | None) -> int:
    if oldest is None:
        return int(RATE_WINDOW.total_seconds())
    remaining = (oldest + RATE_WINDOW - datetime.now(UTC)).total_seconds()
    return max(1, math.ceil(remaining))


async def login(
    session: AsyncSession,
    tokens: TokenSettings,
    *,
    login: str,
    password: str,
    context: ChangeContext,
    attempt_id: str,
) -> TokenPair:
    user = await repository.get_user_by_login(session, login.strip())
    # argon2 takes a quarter of a CPU second, and seconds when logins crowd in: meanwhile the
    # connection goes back to the pool instead of idling in a transaction that other requests wait for.
    await end_reads(session)
    if not await verify_password(user.hashed_password if user else None, password) or user is None:
        raise UnauthorizedError(N_("Incorrect username or password"))
    # A hash made with other parameters (an earlier release's four lanes) is made again as new ones
    # are, now that the password is known; still before this transaction writes, for the same reason.
    rehashed = await hash_password(password) if needs_rehash(user.hashed_password) else None
    # The password was right: the attempt stops counting once this transaction commits.
    await repository.delete_attempt(session, attempt_id)
    if not user.is_active:
        raise ForbiddenError(N_("This account is deactivated"))
    if needs_rehash(user.hashed_password):
        # The password is at hand only now: a hash made before the cost settings changed takes them on.
        user.hashed_password = await hash_password(password)
    user.last_login_at = datetime.now(UTC)
    if rehashed is not None:
        user.hashed_password = rehashed
    pair, auth_session = _open_session(user, tokens, context)
    session.add(auth_session)
    await record(session, EventType.USER_LOGIN, user, context, user_id=user.id)
    return pair


def _open_session(user: User, tokens: TokenSettings, context: ChangeContext) -> tuple[TokenPair, AuthSession]:
    refresh_id = new_token_id()
    auth_session = AuthSession(
        user_id=user.id,
        current_refresh_jti=refresh_id,
        expires_at=datetime.now(UTC) + tokens.refresh_lifetime,
        ip_address=context.ip_address,
        user_agent=(context.user_agent or "")[:512] or None,
    )
    return _issue(tokens, user.id, auth_session.id, refresh_id), auth_session


def _issue(tokens: TokenSettings, user_id: str, session_id: str, refresh_id: str) -> TokenPair:
    access = encode_token(
        tokens.secret,
        kind="access",
        user_id=user_id,
        session_id=session_id,
        token_id=new_token_id(),
        lifetime=tokens.access_lifetime,
    )
    refresh = encode_token(
        tokens.secret,
        kind="refresh",
        user_id=user_id,
        session_id=session_id,
        token_id=refresh_id,
        lifetime=tokens.refresh_lifetime,
    )
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=int(tokens.access_lifetime.total_seconds()))


@dataclass(frozen=True)
class RefreshOutcome:
    """A new pair, or the reason the refresh was refused (decided after the revocation commits)."""

    pair: TokenPair | None = None
    refused: Message | None = None


async def refresh(session: AsyncSession, tokens: TokenSettings, refresh_token: str) -> RefreshOutcome:
    claims = decode_token(tokens.secret, refresh_token, "refresh")
    auth_session = await repository.lock_auth_session(session, claims.session_id)
    if (
        auth_session is None
        or auth_session.user_id != claims.user_id
        or auth_session.revoked_at is not None
        # Rotation issues refresh tokens that outlive the session; the session's own end is final.
        or auth_session.expires_at <= datetime.now(UTC)
    ):
        return RefreshOutcome(refused=SESSION_ENDED)
    if auth_session.current_refresh_jti != claims.token_id:
        # An old refresh token came back: someone holds a copy. End the whole session.
        auth_session.revoked_at = datetime.now(UTC)
        auth_session.revoked_reason = "refresh_token_reuse"
        return RefreshOutcome(refused=N_("Refresh token already used; the session has been revoked"))
    user = await session.get(User, claims.user_id)
    if user is None or not user.is_active:
        return RefreshOutcome(refused=SESSION_ENDED)
    auth_session.current_refresh_jti = new_token_id()
    return RefreshOutcome(pair=_issue(tokens, user.id, auth_session.id, auth_session.current_refresh_jti))


async def logout(session: AsyncSession, user: User, session_id: str, context: ChangeContext) -> None:
    auth_session = await repository.lock_auth_session(session, session_id)
    if auth_session is not None and auth_session.revoked_at is None:
        auth_session.revoked_at = datetime.now(UTC)
        auth_session.revoked_reason = "logout"
    await record(session, EventType.USER_LOGOUT, user, context, user_id=user.id)
