"""The queries goal planning needs about the learner's own goals."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.models import Goal


async def recent_goals(session: AsyncSession, user_id: str, limit: int) -> Sequence[Goal]:
    return (
        await session.scalars(select(Goal).where(Goal.user_id == user_id).order_by(Goal.created_at.desc()).limit(limit))
    ).all()


async def recent_goal_titles(session: AsyncSession, user_id: str, limit: int) -> list[str]:
    titles = await session.scalars(
        select(Goal.title).where(Goal.user_id == user_id).order_by(Goal.created_at.desc()).limit(limit)
    )
    return list(titles)


async def owned_catalog_keys(session: AsyncSession, user_id: str) -> set[str]:
    keys = await session.scalars(
        select(Goal.meta["catalog_key"].astext).where(Goal.user_id == user_id, Goal.meta.has_key("catalog_key"))
    )
    return {key for key in keys if key}
