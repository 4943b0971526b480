"""The review job: a snapshot's verdict, the task's status, the roll-up and their events, in one transaction.

The review itself (`ai_goals_tracker.review`) is a pure library; this module reads what it needs,
runs it in a killable helper process, and writes what it decided.

The job takes a snapshot id and is safe to run twice: a snapshot that already has a verdict is left
alone. The review runs without holding a database connection; writing the verdict takes the row
locks in the order of `db/locks.py`.

Only the task's newest attempt decides its status, and only while the task is `in_review`: an
older attempt superseded by a newer submission, or a task the learner moved on by hand, keeps the
verdict on the snapshot alone. A snapshot whose task was deleted is reviewed without criteria.

A review that could not reach a verdict (an analyzer crashed or timed out, the file is too large,
or the review stopped its worker on every attempt) is recorded as `not_reviewed` with the reason:
the snapshot has no verdict, the task keeps its status, and `POST /snapshots/{id}/review` retries.

A review whose criteria nobody could decide, with nothing else failing the code, is recorded as
`awaiting_judgement`: no verdict yet, the task stays `in_review` with the review on it, and
`snapshots.service.judge_criterion` reaches the verdict once a person has judged each waiting
criterion, through the same `apply_to_task`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from procrastinate import JobContext, RetryStrategy
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.ai.llm import LLMClient
from ai_goals_tracker.config import Settings
from ai_goals_tracker.db.engine import unit_of_work
from ai_goals_tracker.events.recorder import record, record_raw
from ai_goals_tracker.events.types import WORKER_CONTEXT, ChangeContext
from ai_goals_tracker.goals.service import roll_up as roll_up_goal
from ai_goals_tracker.i18n import user_locale
from ai_goals_tracker.jobs import (
    REVIEW_PRIORITY,
    TEST_RUN_QUEUE,
    WORKER_STARTUP_HOOKS,
    RetryThroughOutages,
    defer_in_transaction,
    job_app,
    runtime,
    test_run_lock,
    test_run_priority,
    user_lock,
)
from ai_goals_tracker.lifecycle import move
from ai_goals_tracker.metrics import count_review, declare_review_outcomes
from ai_goals_tracker.models import CodeSnapshot, Goal, Task, User
from ai_goals_tracker.models.enums import EventType, TaskStatus
from ai_goals_tracker.review import (
    Criterion,
    FindingType,
    Locale,
    ReviewOutcome,
    ReviewRequest,
    ReviewResult,
    not_reviewed_result,
    review_budget,
    review_submission_with_llm,
    text,
    warm_up_reviews,
)
from ai_goals_tracker.review.limits import DEFAULT_LIMITS
from ai_goals_tracker.review.verdict import awaiting_reason, stamp_decided
from ai_goals_tracker.search.memory import recurring_mistakes
from ai_goals_tracker.snapshots import repository as snapshots
from ai_goals_tracker.tasks import repository as tasks

logger = logging.getLogger(__name__)

REVIEW_QUEUE = "reviews"
# A failed run is retried twice (after 1 s, then 3 s); the run after the last retry records a
# not-reviewed outcome instead of raising, so no snapshot waits for a review forever.
REVIEW_RETRIES = 2
# The review's own budget (review/limits.py) kills its helper process; this also bounds the wait for
# a free helper, should every one be busy.
QUEUE_FOR_HELPER_SECONDS = 60.0
# LLMClient makes at most two attempts, each bounded by its timeout.
_LLM_ATTEMPTS = 2

WORKER_STARTUP_HOOKS.append(warm_up_reviews)
declare_review_outcomes(outcome.value for outcome in ReviewOutcome)


@job_app.task(
    name="review_snapshot",
    queue=REVIEW_QUEUE,
    priority=REVIEW_PRIORITY,
    pass_context=True,
    retry=RetryThroughOutages(RetryStrategy(max_attempts=REVIEW_RETRIES, wait=1, linear_wait=2)),
)
async def review_snapshot(context: JobContext, snapshot_id: str) -> None:
    """Review one code snapshot and record the verdict (deferred by `POST /tasks/{id}/snapshots`)."""
    # `attempts` counts earlier runs, including those whose worker died (the stall check retries them).
    attempt = context.job.attempts if context.job is not None else 0
    await review_snapshot_now(snapshot_id, attempt=attempt)


@dataclass(frozen=True, slots=True)
class _Subject:
    """What a review needs, read before it starts so that no connection is held while it runs."""

    snapshot_id: str
    user_id: str
    task_id: str | None
    request: ReviewRequest


async def review_snapshot_now(snapshot_id: str, *, attempt: int = 0) -> None:
    """The job's body: review, then record; on the last attempt a crash becomes a failed verdict."""
    jobs = runtime()
    subject = await _load_subject(jobs.sessionmaker, jobs.settings, snapshot_id)
    if subject is None:
        return
    if attempt > REVIEW_RETRIES:
        # Every earlier run ended without raising: its worker died (killed, out of memory) mid-review.
        error = f"the review stopped its worker {attempt} time(s)"
        await _record(jobs.sessionmaker, subject, _stopped_review(subject.request, attempt), error=error)
        return
    try:
        result = await _review(subject.request, jobs.settings)
        await _record(jobs.sessionmaker, subject, result, error=None)
    except Exception as exc:
        if attempt < REVIEW_RETRIES:
            raise
        logger.exception("Review of snapshot %s failed on its last attempt", snapshot_id)
        error = f"{type(exc).__name__}: {exc}"[:1000]
        await _record(jobs.sessionmaker, subject, _stopped_review(subject.request, attempt + 1), error=error)


async def _load_subject(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, snapshot_id: str
) -> _Subject | None:
    async with sessionmaker() as session:
        snapshot = await snapshots.get(session, snapshot_id)
        if snapshot is None or snapshot.review_settled:
            return None
        task = await session.get(Task, snapshot.task_id) if snapshot.task_id is not None else None
        goal = await session.get(Goal, task.goal_id) if task is not None else None
        user = await session.get(User, snapshot.user_id)
        request = ReviewRequest(
            code=snapshot.code_content,
            file_path=snapshot.file_path,
            language=snapshot.language,
            criteria=goal_criteria(goal),
            locale=user_locale(user),
            pass_threshold=settings.review_pass_threshold,
            task_title=task.title if task is not None else None,
            goal_title=goal.title if goal is not None else None,
        )
        return _Subject(snapshot_id=snapshot.id, user_id=snapshot.user_id, task_id=snapshot.task_id, request=request)


def goal_criteria(goal: Goal | None) -> list[Criterion]:
    """The seed's `{"criteria": [...]}`; anything else in the document is not a criterion."""
    return criteria_of(goal.validation_criteria if goal is not None else None)


def criteria_of(document: dict[str, Any] | None) -> list[Criterion]:
    criteria = document.get("criteria", []) if document is not None else []
    return [c for c in criteria if isinstance(c, str | dict)] if isinstance(criteria, list) else []


def runs_tests(document: dict[str, Any] | None) -> bool:
    """Whether reviewing against these criteria runs a goal's tests in the sandbox (seconds, not ms)."""
    return any(isinstance(c, dict) and c.get("check") == "tests" for c in criteria_of(document))


async def defer_review(session: AsyncSession, snapshot_id: str, user_id: str, *, with_tests: bool) -> None:
    """Queue a snapshot's review in the caller's transaction. A review that runs a goal's tests goes to
    the test runs' queue, in the learner's turn (`jobs.test_run_priority`); any other is a quick one,
    among the learner's other work (`jobs.user_lock`), in slots test runs never take."""
    if with_tests:
        await defer_in_transaction(
            session,
            review_snapshot,
            queue=TEST_RUN_QUEUE,
            lock=test_run_lock(user_id),
            priority=await test_run_priority(session, user_id),
            snapshot_id=snapshot_id,
        )
    else:
        await defer_in_transaction(session, review_snapshot, lock=user_lock(user_id), snapshot_id=snapshot_id)


async def _review(request: ReviewRequest, settings: Settings) -> ReviewResult:
    llm = LLMClient.from_settings(settings)
    offline = review_budget(request, DEFAULT_LIMITS) + QUEUE_FOR_HELPER_SECONDS
    budget = offline + (_LLM_ATTEMPTS * llm.timeout_seconds if llm is not None else 0.0)
    try:
        async with asyncio.timeout(budget):
            return await review_submission_with_llm(request, llm)
    finally:
        if llm is not None:
            await llm.aclose()


def _stopped_review(request: ReviewRequest, attempts: int) -> ReviewResult:
    """No review could be made: no verdict, and the learner is told why."""
    return not_reviewed_result(request, text("not-reviewed.worker-stopped", request.locale, attempts=attempts))


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession], subject: _Subject, result: ReviewResult, *, error: str | None
) -> None:
    if await _write(sessionmaker, subject, result, error=error):
        count_review(result.outcome.value)


async def _write(
    sessionmaker: async_sessionmaker[AsyncSession], subject: _Subject, result: ReviewResult, *, error: str | None
) -> bool:
    """Whether this run recorded the snapshot's review (committed once the block ends)."""
    async with unit_of_work(sessionmaker) as session:
        # Before any lock is taken: it reads the learner's history and may embed finding messages.
        note = await recurring_mistakes(
            session, subject.user_id, result.findings, subject.request.locale, exclude_snapshot_id=subject.snapshot_id
        )
        if note is not None:
            result = result.model_copy(update={"feedback": f"{result.feedback}\n\n{note}"})
        task = await tasks.lock(session, subject.task_id) if subject.task_id is not None else None
        snapshot = await snapshots.lock(session, subject.snapshot_id)
        if snapshot is None or snapshot.review_settled:
            return False  # deleted meanwhile, or another run of this job got there first
        if task is not None and snapshot.task_id != task.id:
            task = None  # the task was deleted after the review started
        validated_at = datetime.now(UTC)
        result = result.model_copy(update={"criteria": stamp_decided(result.criteria, validated_at)})
        issues = [f.model_dump(mode="json") for f in result.findings if f.type is not FindingType.CELEBRATORY]
        _apply_to_snapshot(snapshot, result, issues, validated_at, subject.request)
        await _record_snapshot_events(session, snapshot, result, error)
        # No verdict (not reviewed): the task keeps its status.
        if (
            result.outcome is not ReviewOutcome.NOT_REVIEWED
            and task is not None
            and await decides_task(session, task, snapshot)
        ):
            await apply_to_task(session, task, snapshot, WORKER_CONTEXT, validated_at)
    return True


def _apply_to_snapshot(
    snapshot: CodeSnapshot,
    result: ReviewResult,
    issues: list[dict[str, Any]],
    validated_at: datetime,
    request: ReviewRequest,
) -> None:
    metrics = result.metrics
    # Only a pass or a fail is a verdict: a review that waits for a person has none yet, nor a score.
    decided = result.outcome in (ReviewOutcome.PASSED, ReviewOutcome.FAILED)
    snapshot.validation_passed = result.passed if decided else None
    snapshot.validation_score = result.score if decided else None
    snapshot.validation_feedback = result.feedback
    snapshot.issues_found = issues
    snapshot.meta = {
        **snapshot.meta,
        "lines_of_code": metrics.lines_of_code,
        "total_lines": metrics.total_lines,
        "complexity_rank": metrics.complexity_rank,
        "max_complexity": metrics.max_complexity,
        "maintainability_index": metrics.maintainability_index,
        "test_coverage": metrics.test_coverage,
        "review": {
            "status": result.outcome.value,
            "reason": _reason(result, request.locale),
            "summary": result.summary,
            "criteria": [c.model_dump(mode="json") for c in result.criteria],
            "analyzers": result.analyzers_run,
            "feedback_source": result.feedback_source,
            "validated_at": validated_at.isoformat(),
            # What a person's judgement of a waiting criterion needs to reach the verdict.
            "pass_threshold": request.pass_threshold,
            "locale": request.locale,
        },
    }


def _reason(result: ReviewResult, locale: Locale) -> str | None:
    """Why there is no verdict: the analyzers could not finish, or which criteria wait for a person and why."""
    if result.outcome is ReviewOutcome.AWAITING_JUDGEMENT:
        return awaiting_reason(result.criteria, locale)
    return result.not_reviewed_reason


async def _record_snapshot_events(
    session: AsyncSession, snapshot: CodeSnapshot, result: ReviewResult, error: str | None
) -> None:
    user_id = snapshot.user_id
    await record(session, EventType.CODE_VALIDATED, snapshot, WORKER_CONTEXT, user_id=user_id)
    reference = {"snapshot_id": snapshot.id, "task_id": snapshot.task_id}

    async def raw(event_type: EventType, payload: dict[str, Any]) -> None:
        await record_raw(
            session,
            event_type,
            entity_type="code_snapshot",
            entity_id=snapshot.id,
            payload={**reference, **payload},
            context=WORKER_CONTEXT,
            user_id=user_id,
        )

    await raw(
        EventType.AI_VALIDATION_COMPLETED,
        {
            "outcome": result.outcome.value,
            "reason": result.not_reviewed_reason,
            "passed": result.passed,
            "score": result.score,
            "criteria": [c.model_dump(mode="json") for c in result.criteria],
            "analyzers": result.analyzers_run,
            "metrics": result.metrics.model_dump(mode="json"),
        },
    )
    await raw(
        EventType.AI_FEEDBACK_GENERATED,
        {"source": result.feedback_source, "summary": result.summary, "feedback": result.feedback},
    )
    for warning in result.warnings:
        await raw(EventType.SYSTEM_WARNING, {"message": warning})
    if error is not None:
        await raw(EventType.SYSTEM_ERROR, {"message": "code review failed; recorded as not reviewed", "error": error})
    elif result.outcome is ReviewOutcome.NOT_REVIEWED:
        await raw(EventType.SYSTEM_WARNING, {"message": "code not reviewed", "reason": result.not_reviewed_reason})


async def decides_task(session: AsyncSession, task: Task, snapshot: CodeSnapshot) -> bool:
    """Only the task's newest attempt decides it, and only while the task is `in_review`."""
    if task.status is not TaskStatus.IN_REVIEW:
        return False
    return await snapshots.latest_snapshot_id(session, task.id) == snapshot.id


async def apply_to_task(
    session: AsyncSession, task: Task, snapshot: CodeSnapshot, context: ChangeContext, validated_at: datetime
) -> None:
    """The snapshot's review on its task: a verdict completes or fails it and rolls progress up; a review
    that waits for a person is recorded on the task, which stays `in_review`."""
    review = snapshot.meta.get("review") or {}
    awaiting = snapshot.awaiting_judgement
    task.validation_result = {
        "passed": snapshot.validation_passed,
        "score": snapshot.validation_score,
        "status": review.get("status"),
        "summary": review.get("summary"),
        "criteria": review.get("criteria", []),
        "issues": snapshot.issues_found,
        "validated_at": validated_at.isoformat(),
        "snapshot_id": snapshot.id,
        "feedback_source": review.get("feedback_source"),
    }
    task.ai_feedback = snapshot.validation_feedback
    if awaiting:
        await record(session, EventType.TASK_UPDATED, task, context, user_id=task.user_id)
        return
    if snapshot.validation_passed:
        # The verdict, then the status change: `task.completed` is what every completion emits.
        await record(session, EventType.TASK_VALIDATED, task, context, user_id=task.user_id)
    verdict = TaskStatus.COMPLETED if snapshot.validation_passed else TaskStatus.FAILED
    await move(session, task, verdict, context, reviewed=True)
    await roll_up_goal(session, task.goal_id, context)
