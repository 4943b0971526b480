from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.models import AuthSession, LoginAttempt, User


async def get_user_by_login(session: AsyncSession, login: str) -> User | None:
    """A user by username or email (emails are stored lowercase)."""
    return await session.scalar(select(User).where(or_(User.username == login, User.email == login.lower())))


def live_session_join() -> ColumnElement[bool]:
    """Joins `User` to `AuthSession`: the active user `:caller_id` with the live session `:session_id`
    (neither revoked nor expired). Bound parameters, so statements using it are built once."""
    return and_(
        User.id == bindparam("caller_id"),
        User.is_active.is_(True),
        AuthSession.id == bindparam("session_id"),
        AuthSession.user_id == User.id,
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > func.now(),
    )


# Built once: constructing a statement costs more than executing a cached one on this hot path.
_USER_IN_LIVE_SESSION = select(User).join(AuthSession, live_session_join())


async def get_user_in_live_session(session: AsyncSession, user_id: str, session_id: str) -> User | None:
    """The active user owning a live session: one query per request."""
    return await session.scalar(_USER_IN_LIVE_SESSION, {"caller_id": user_id, "session_id": session_id})


async def lock_auth_session(session: AsyncSession, session_id: str) -> AuthSession | None:
    return await session.scalar(select(AuthSession).where(AuthSession.id == session_id).with_for_update())


async def revoke_user_sessions(
    session: AsyncSession, user_id: str, reason: str, *, except_session_id: str | None = None
) -> None:
    query = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if except_session_id is not None:
        query = query.where(AuthSession.id != except_session_id)
    await session.execute(query.values(revoked_at=func.now(), revoked_reason=reason))


async def lock_login_keys(session: AsyncSession, *keys: str) -> None:
    """Serialize login attempts that share an account or an address until the transaction ends,
    so parallel guesses cannot all read the same count and slip past the limit together.
    Callers pass the keys in one fixed order (account, then address), which rules out deadlocks."""
    for key in keys:
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"login:{key}", 0))))


@dataclass(frozen=True)
class AttemptCount:
    count: int
    oldest: datetime | None


async def count_recent_attempts(
    session: AsyncSession, *, account: str, ip_address: str, window: timedelta
) -> tuple[AttemptCount, AttemptCount]:
    """Attempts in the window for this account from this address, and for this address, each with its oldest."""
    since = func.clock_timestamp() - window

    def bucket(condition: ColumnElement[bool]) -> tuple[ScalarSelect[int], ScalarSelect[datetime]]:
        recent = and_(condition, LoginAttempt.attempted_at > since)
        return (
            select(func.count()).where(recent).scalar_subquery(),
            select(func.min(LoginAttempt.attempted_at)).where(recent).scalar_subquery(),
        )

    row = (
        await session.execute(
            select(
                *bucket(and_(LoginAttempt.account == account, LoginAttempt.ip_address == ip_address)),
                *bucket(LoginAttempt.ip_address == ip_address),
            )
        )
    ).one()
    return AttemptCount(int(row[0]), row[1]), AttemptCount(int(row[2]), row[3])


async def add_attempt(session: AsyncSession, *, account: str, ip_address: str, keep: timedelta) -> str:
    attempt = LoginAttempt(account=account, ip_address=ip_address)
    session.add(attempt)
    # Old attempts are useless; pruning them here keeps the table small without a cron job.
    await session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < func.clock_timestamp() - keep))
    return attempt.id


async def delete_attempt(session: AsyncSession, attempt_id: str) -> None:
    await session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
