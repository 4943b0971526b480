from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.db.locks import for_writing
from ai_goals_tracker.models import CodeSnapshot, Goal, Task


def task_history_query(task_id: str) -> Select[CodeSnapshot]:
    """A task's attempts, newest first (ids are time-ordered and assigned under the task's lock)."""
    return select(CodeSnapshot).where(CodeSnapshot.task_id == task_id).order_by(CodeSnapshot.id.desc())


async def latest_snapshot_id(session: AsyncSession, task_id: str) -> str | None:
    return await session.scalar(task_history_query(task_id).with_only_columns(CodeSnapshot.id).limit(1))


async def get(session: AsyncSession, snapshot_id: str) -> CodeSnapshot | None:
    query = select(CodeSnapshot).where(CodeSnapshot.id == snapshot_id).execution_options(populate_existing=True)
    return await session.scalar(query)


async def lock(session: AsyncSession, snapshot_id: str) -> CodeSnapshot | None:
    """The snapshot, locked for writing: after its task, before the goal (`db/locks.py`)."""
    return await session.scalar(for_writing(select(CodeSnapshot).where(CodeSnapshot.id == snapshot_id)))


async def goal_owner_id(session: AsyncSession, snapshot: CodeSnapshot) -> str | None:
    """Who owns the goal the snapshot's task serves (None once the task is deleted)."""
    if snapshot.task_id is None:
        return None
    query = select(Goal.user_id).join(Task, Task.goal_id == Goal.id).where(Task.id == snapshot.task_id)
    return await session.scalar(query)
