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
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.config import get_settings
from ai_goals_tracker.db.failures import TRANSLATED, passing_outage
from ai_goals_tracker.errors import ConflictError, NotFoundError, PayloadTooLargeError
from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.goals import repository as goals
from ai_goals_tracker.goals.service import roll_up as roll_up_goal
from ai_goals_tracker.i18n import N_, negotiate
from ai_goals_tracker.lifecycle import walk
from ai_goals_tracker.models import CodeSnapshot, Task, User
from ai_goals_tracker.models.enums import EventType, TaskStatus
from ai_goals_tracker.review import lines_of_code, normalize_language
from ai_goals_tracker.review.feedback import compose_summary
from ai_goals_tracker.review.models import CriterionResult, Finding, JudgedBy, ReviewOutcome
from ai_goals_tracker.review.verdict import (
    NotAwaitingJudgement,
    awaiting_reason,
    feedback_with_judgement,
    judge,
    verdict_of,
)
from ai_goals_tracker.snapshots import repository
from ai_goals_tracker.snapshots.jobs import apply_to_task, decides_task, defer_review, runs_tests
from ai_goals_tracker.snapshots.schemas import CriterionJudgement, SnapshotCreate, SnapshotRead
from ai_goals_tracker.tasks import repository as tasks_repository

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
            extra={"review_status": SnapshotRead.model_validate(snapshot).review_status},
        )
    review = dict(snapshot.meta.get("review") or {})
    review.update(status="retrying", reason=None)
    snapshot.meta = {**snapshot.meta, "review": review}
    criteria = await goals.validation_criteria_of_task(session, snapshot.task_id) if snapshot.task_id else None
    await defer_review(session, snapshot.id, snapshot.user_id, with_tests=runs_tests(criteria))
    return snapshot


async def judge_criterion(
    session: AsyncSession,
    snapshot_id: str,
    index: int,
    data: CriterionJudgement,
    user: User,
    context: ChangeContext,
) -> CodeSnapshot:
    """A person confirms or rejects one criterion the review could not decide, in the caller's transaction.

    The learner who submitted the code or the goal's owner may judge; anyone else reads 404. The
    judgement is recorded on the snapshot (`code.reviewed`); once no criterion waits, the verdict is
    worked out as the review would have (`code.validated`) and, if this attempt decides the task, the
    task is completed or failed and progress rolls up. Rows are locked in the order of `db/locks.py`.
    """
    found = await repository.get(session, snapshot_id)
    judged_by = await _judge_role(session, found, user) if found is not None else None
    if found is None or judged_by is None:
        raise NotFoundError(N_("Snapshot not found"))
    task = await tasks_repository.lock(session, found.task_id) if found.task_id is not None else None
    snapshot = await repository.lock(session, snapshot_id)
    if snapshot is None:
        raise NotFoundError(N_("Snapshot not found"))
    if task is not None and snapshot.task_id != task.id:
        task = None
    review = dict(snapshot.meta.get("review") or {})
    stored = review.get("criteria")
    stored = stored if isinstance(stored, list) else []
    if not 0 <= index < len(stored):
        raise NotFoundError(N_("This review has no criterion {index}"), params={"index": index})
    if not snapshot.awaiting_judgement:
        raise _not_waiting(index, SnapshotRead.model_validate(snapshot).review_status)
    now = datetime.now(UTC)
    locale = negotiate(review.get("locale"))
    try:
        criteria = judge(
            [CriterionResult.model_validate(item) for item in stored],
            index,
            met=data.met,
            judged_by=judged_by,
            judge_id=user.id,
            note=data.note or None,
            at=now,
            locale=locale,
        )
    except NotAwaitingJudgement:
        raise _not_waiting(index, "decided") from None
    threshold = review.get("pass_threshold")
    threshold = threshold if isinstance(threshold, int | float) else get_settings().review_pass_threshold
    findings = [Finding.model_validate(issue) for issue in snapshot.issues_found]
    verdict, final_score = verdict_of(findings, criteria, threshold)
    review.update(
        status=verdict.value,
        criteria=[c.model_dump(mode="json") for c in criteria],
        summary=compose_summary(findings, criteria, final_score, verdict, locale),
        reason=awaiting_reason(criteria, locale) if verdict is ReviewOutcome.AWAITING_JUDGEMENT else None,
    )
    decided = verdict is not ReviewOutcome.AWAITING_JUDGEMENT
    snapshot.meta = {**snapshot.meta, "review": review}
    snapshot.validation_feedback = feedback_with_judgement(snapshot.validation_feedback or "", criteria[index], locale)
    snapshot.validation_passed = verdict is ReviewOutcome.PASSED if decided else None
    snapshot.validation_score = final_score if decided else None
    judged = review["criteria"][index]
    judgement = {
        "index": index,
        "criterion": judged["label"],
        "met": data.met,
        "note": judged["note"],
        "judged_by": judged_by,
        "judge_id": user.id,
        "judged_at": judged["judged_at"],
        "awaiting": sum(c.awaiting_judgement for c in criteria),
    }
    extra = {"judgement": judgement}
    await record(session, EventType.CODE_REVIEWED, snapshot, context, user_id=snapshot.user_id, extra=extra)
    if decided:
        await record(session, EventType.CODE_VALIDATED, snapshot, context, user_id=snapshot.user_id)
    if task is not None and await decides_task(session, task, snapshot):
        await apply_to_task(session, task, snapshot, context, now)
    return snapshot


async def _judge_role(session: AsyncSession, snapshot: CodeSnapshot, user: User) -> JudgedBy | None:
    if snapshot.user_id == user.id:
        return "learner"
    if await repository.goal_owner_id(session, snapshot) == user.id:
        return "owner"
    return None


def _not_waiting(index: int, review_status: str) -> ConflictError:
    return ConflictError(
        N_("Criterion {index} does not wait for a judgement: only a review awaiting judgement has criteria to judge"),
        params={"index": index},
        code="not_awaiting_judgement",
        extra={"review_status": review_status},
    )


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
