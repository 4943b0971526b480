"""Submitting code for a task: the snapshot, the task's move to review, the event and the review job.

Submitting is how a learner asks for review, so it walks the task to `in_review` through the
lifecycle's legal path (`lifecycle.walk`): a `todo` or `failed` task passes through `in_progress`,
each step with its own event.
A task already `in_review` takes a new attempt that supersedes the pending one (only the newest
attempt's verdict decides the task). A `completed` task takes no more submissions, nor does a
`skipped` one until its owner reopens it.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.db.failures import TRANSLATED, passing_outage
from ai_goals_tracker.errors import ConflictError, PayloadTooLargeError
from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.goals import repository as goals
from ai_goals_tracker.goals.service import roll_up as roll_up_goal
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.lifecycle import walk
from ai_goals_tracker.models import CodeSnapshot, Task
from ai_goals_tracker.models.enums import EventType, TaskStatus
from ai_goals_tracker.review import lines_of_code, normalize_language
from ai_goals_tracker.snapshots import repository
from ai_goals_tracker.snapshots.jobs import defer_review, runs_tests
from ai_goals_tracker.snapshots.schemas import SnapshotCreate

MAX_CODE_BYTES = 256 * 1024
MAX_WAIT_SECONDS = 30.0


async def submit(session: AsyncSession, task: Task, data: SnapshotCreate, context: ChangeContext) -> CodeSnapshot:
    """Store the snapshot, move the task to review and defer the review, all in the caller's transaction."""
    size = len(data.code_content.encode("utf-8"))
    if size > MAX_CODE_BYTES:
        raise PayloadTooLargeError(
            N_("code_content is {size} KB; at most {limit} KB can be reviewed"),
            params={"size": size // 1024, "limit": MAX_CODE_BYTES // 1024},
        )
    _ensure_open(task)
    snapshot = CodeSnapshot(
        task_id=task.id,
        user_id=task.user_id,
        file_path=data.file_path,
        language=normalize_language(data.language, data.file_path),
        code_content=data.code_content,
        meta={
            **data.metadata,
            "lines_of_code": lines_of_code(data.code_content),
            "total_lines": len(data.code_content.splitlines()),
            "size_bytes": size,
        },
    )
    session.add(snapshot)
    await record(session, EventType.CODE_SUBMITTED, snapshot, context, user_id=task.user_id)
    if await walk(session, task, TaskStatus.IN_REVIEW, context):
        await roll_up_goal(session, task.goal_id, context)
    criteria = await goals.validation_criteria(session, task.goal_id)
    await defer_review(session, snapshot.id, task.user_id, with_tests=runs_tests(criteria))
    return snapshot


def _ensure_open(task: Task) -> None:
    if task.status is TaskStatus.COMPLETED:
        raise ConflictError(
            N_("This task is already completed; it takes no more submissions"),
            extra={"current": task.status.value},
        )
    if task.status is TaskStatus.SKIPPED:
        raise ConflictError(
            N_('This task is skipped; reopen it (PATCH {"status": "todo"}) before submitting code'),
            extra={"current": task.status.value},
        )


async def retry_review(session: AsyncSession, snapshot: CodeSnapshot) -> CodeSnapshot:
    """Queue a new review of a snapshot that could not be reviewed (in the caller's transaction)."""
    if not snapshot.not_reviewed:
        raise ConflictError(
            N_("Only a snapshot that could not be reviewed can be reviewed again"),
            extra={"review_status": "pending" if snapshot.validation_passed is None else "reviewed"},
        )
    review = dict(snapshot.meta.get("review") or {})
    review.update(status="retrying", reason=None)
    snapshot.meta = {**snapshot.meta, "review": review}
    criteria = await goals.validation_criteria_of_task(session, snapshot.task_id) if snapshot.task_id else None
    await defer_review(session, snapshot.id, snapshot.user_id, with_tests=runs_tests(criteria))
    return snapshot


async def wait_for_verdict(
    sessionmaker: async_sessionmaker[AsyncSession], snapshot_id: str, seconds: float
) -> CodeSnapshot | None:
    """The snapshot once it has a verdict, or None if it has none after `seconds`.

    Polls the primary (a read replica may lag behind the worker's commit) with a fresh session each
    time: every 50 ms at first, backing off to 500 ms, so quick reviews answer quickly. The
    submission is committed before the wait, so a database that stops answering meanwhile ends the
    wait (None: still pending) rather than failing a request whose change is already kept.
    """
    deadline = time.monotonic() + seconds
    interval = 0.05
    while True:
        try:
            async with sessionmaker() as session:
                snapshot = await repository.get(session, snapshot_id)
        except TRANSLATED as exc:
            if passing_outage(exc):
                return None
            raise
        if snapshot is None or snapshot.review_settled:
            return snapshot
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        await asyncio.sleep(min(interval, remaining))
        interval = min(interval * 1.5, 0.5)
