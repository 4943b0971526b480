from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.models import User


async def get(session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def get_metadata(session: AsyncSession, user_id: str) -> dict[str, Any] | None:
    return await session.scalar(select(User.meta).where(User.id == user_id))


async def get_by_username(session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username))


async def find_conflict(
    session: AsyncSession, *, email: str, username: str | None, exclude_id: str | None = None
) -> User | None:
    """A user already holding this email, or this username in any letter case ("Ana" and "ana"
    would be indistinguishable to people reading them)."""
    taken = User.email == email
    if username is not None:
        taken = or_(taken, func.lower(User.username) == username.lower())
    query = select(User).where(taken)
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    return await session.scalar(query.limit(1))


async def username_taken(session: AsyncSession, username: str) -> bool:
    """In any letter case, as `find_conflict` compares usernames."""
    found = await session.scalar(select(User.id).where(func.lower(User.username) == username.lower()).limit(1))
    return found is not None


async def email_taken(session: AsyncSession, email: str) -> bool:
    return await session.scalar(select(User.id).where(User.email == email).limit(1)) is not None


async def list_page(session: AsyncSession, *, limit: int, offset: int) -> tuple[list[User], int]:
    total = await session.scalar(select(func.count()).select_from(User)) or 0
    users = await session.scalars(select(User).order_by(User.created_at, User.id).limit(limit).offset(offset))
    return list(users), total
