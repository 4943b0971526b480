"""The few reads only the dashboard makes; everything else comes from the packages' own repositories."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from ai_goals_tracker.models import CodeSnapshot, Goal, Task
from ai_goals_tracker.models.enums import TaskStatus

# What to do next: work already started first, then what failed review, then what is waiting.
_NEXT_STATUSES = (TaskStatus.IN_PROGRESS, TaskStatus.FAILED, TaskStatus.TODO)
_NEXT_ORDER = case({status: rank for rank, status in enumerate(_NEXT_STATUSES)}, value=Task.status)


async def next_tasks(session: AsyncSession, user_id: str, limit: int) -> Sequence[tuple[Task, str]]:
    """The learner's open tasks with their goal's title, most pressing first."""
    rows = await session.execute(
        select(Task, Goal.title)
        .join(Goal, Goal.id == Task.goal_id)
        .where(Task.user_id == user_id, Task.status.in_(_NEXT_STATUSES))
        .order_by(_NEXT_ORDER, Task.priority.desc(), Task.created_at, Task.id)
        .limit(limit)
    )
    return [(task, title) for task, title in rows]


async def recent_snapshots(
    session: AsyncSession, user_id: str, limit: int
) -> Sequence[tuple[CodeSnapshot, str | None]]:
    """The learner's latest submissions, newest first, with their task's title: what a list of them
    shows, without the code and the findings."""
    rows = await session.execute(
        select(CodeSnapshot, Task.title)
        .options(
            load_only(
                CodeSnapshot.file_path,
                CodeSnapshot.validation_passed,
                CodeSnapshot.validation_score,
                CodeSnapshot.meta,
                CodeSnapshot.created_at,
                raiseload=True,
            )
        )
        .outerjoin(Task, Task.id == CodeSnapshot.task_id)
        .where(CodeSnapshot.user_id == user_id)
        .order_by(CodeSnapshot.id.desc())
        .limit(limit)
    )
    return [(snapshot, title) for snapshot, title in rows]
