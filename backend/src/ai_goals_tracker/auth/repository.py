from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.models import AuthSession, LoginAttempt, User


async def get_user_by_login(session: AsyncSession, login: str) -> User | None:
    """A user by username or email (emails are stored lowercase)."""
    return await session.scalar(select(User).where(or_(User.username == login, User.email == login.lower())))


async def get_user_in_live_session(session: AsyncSession, user_id: str, session_id: str) -> User | None:
    """The active user owning a session that is neither revoked nor expired: one query per request."""
    return await session.scalar(
        select(User)
        .join(AuthSession, and_(AuthSession.user_id == User.id, AuthSession.id == session_id))
        .where(
            User.id == user_id,
            User.is_active.is_(True),
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > func.now(),
        )
    )


async def lock_auth_session(session: AsyncSession, session_id: str) -> AuthSession | None:
    return await session.scalar(select(AuthSession).where(AuthSession.id == session_id).with_for_update())


async def revoke_user_sessions(session: AsyncSession, user_id: str, reason: str) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=func.now(), revoked_reason=reason)
    )


async def count_recent_attempts(
    session: AsyncSession, *, account: str, ip_address: str, window: timedelta
) -> tuple[int, int, datetime | None]:
    """Attempts in the window for this account and for this address, and the oldest of them."""
    since = func.clock_timestamp() - window
    by_account = select(func.count()).where(LoginAttempt.account == account, LoginAttempt.attempted_at > since)
    by_ip = select(func.count()).where(LoginAttempt.ip_address == ip_address, LoginAttempt.attempted_at > since)
    oldest = select(func.min(LoginAttempt.attempted_at)).where(
        or_(LoginAttempt.account == account, LoginAttempt.ip_address == ip_address),
        LoginAttempt.attempted_at > since,
    )
    row = (await session.execute(select(by_account.scalar_subquery(), by_ip.scalar_subquery(), oldest.scalar_subquery()))).one()
    return int(row[0]), int(row[1]), row[2]


async def add_attempt(session: AsyncSession, *, account: str, ip_address: str, keep: timedelta) -> None:
    session.add(LoginAttempt(account=account, ip_address=ip_address))
    # Old attempts are useless; pruning them here keeps the table small without a cron job.
    await session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < func.clock_timestamp() - keep))
