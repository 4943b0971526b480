from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.models import CodeSnapshot


def task_history_query(task_id: str) -> Select[CodeSnapshot]:
    """A task's attempts, newest first (ids are time-ordered and assigned under the task's lock)."""
    return select(CodeSnapshot).where(CodeSnapshot.task_id == task_id).order_by(CodeSnapshot.id.desc())


async def latest_snapshot_id(session: AsyncSession, task_id: str) -> str | None:
    return await session.scalar(task_history_query(task_id).with_only_columns(CodeSnapshot.id).limit(1))


async def get(session: AsyncSession, snapshot_id: str, *, for_update: bool = False) -> CodeSnapshot | None:
    query = select(CodeSnapshot).where(CodeSnapshot.id == snapshot_id).execution_options(populate_existing=True)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)
