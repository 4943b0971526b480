"""A review's verdict worked out again from its findings and criteria: after a model judged some
criteria, and after a person confirmed or rejected a criterion that waited for them.

Pure values, like the rest of the review: the snapshot service stores what this returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ai_goals_tracker.review.criteria import describe
from ai_goals_tracker.review.feedback import compose_summary
from ai_goals_tracker.review.i18n import text
from ai_goals_tracker.review.models import (
    CriterionResult,
    CriterionStatus,
    Finding,
    JudgedBy,
    Locale,
    ReviewOutcome,
    ReviewResult,
)
from ai_goals_tracker.review.scoring import awaiting_judgement, outcome, score


class NotAwaitingJudgement(Exception):
    """The criterion was already decided (by a check, a model or a person): there is nothing to judge."""


def settle(result: ReviewResult, threshold: float, locale: Locale) -> ReviewResult:
    """`result` with its outcome, pass and score computed from its findings and criteria.

    A model writes its own summary; it is kept unless the review now waits for a person, which the
    summary must say."""
    if result.outcome is ReviewOutcome.NOT_REVIEWED:
        return result
    criteria = [undecided(c) if c.status is CriterionStatus.NEEDS_HUMAN else c for c in result.criteria]
    final_score = score(result.findings, criteria)
    verdict = outcome(result.findings, criteria, final_score, threshold)
    keeps_summary = result.feedback_source == "llm" and verdict is not ReviewOutcome.AWAITING_JUDGEMENT
    summary = (
        result.summary if keeps_summary else compose_summary(result.findings, criteria, final_score, verdict, locale)
    )
    return result.model_copy(
        update={
            "criteria": criteria,
            "outcome": verdict,
            "passed": verdict is ReviewOutcome.PASSED,
            "score": final_score,
            "summary": summary,
        }
    )


def undecided(criterion: CriterionResult) -> CriterionResult:
    """A `needs_human` criterion says that nobody judged it, whatever the check that gave up on it set."""
    return criterion.model_copy(update={"judged_by": None, "judged_at": None, "judge_id": None})


def stamp_decided(criteria: Sequence[CriterionResult], at: datetime) -> list[CriterionResult]:
    """Each decided criterion with the time it was decided (a check's or a model's: the review's)."""
    return [
        undecided(c)
        if c.status is CriterionStatus.NEEDS_HUMAN
        else c
        if c.judged_at is not None
        else c.model_copy(update={"judged_at": at})
        for c in criteria
    ]


def judge(
    criteria: Sequence[CriterionResult],
    index: int,
    *,
    met: bool,
    judged_by: JudgedBy,
    judge_id: str,
    note: str | None,
    at: datetime,
    locale: Locale,
) -> list[CriterionResult]:
    """The criteria with the waiting one at `index` confirmed (met) or rejected (not met) by a person;
    its evidence says who decided it instead of why nobody could."""
    if not criteria[index].awaiting_judgement:
        raise NotAwaitingJudgement
    status = CriterionStatus.MET if met else CriterionStatus.NOT_MET
    judged = criteria[index].model_copy(
        update={
            "status": status,
            "evidence": text(f"evidence.{judged_by}-{status.value}", locale),
            "judged_by": judged_by,
            "judged_at": at,
            "judge_id": judge_id,
            "note": note,
        }
    )
    return [judged if position == index else c for position, c in enumerate(criteria)]


def verdict_of(
    findings: Sequence[Finding], criteria: Sequence[CriterionResult], threshold: float
) -> tuple[ReviewOutcome, float]:
    final_score = score(findings, criteria)
    return outcome(findings, criteria, final_score, threshold), final_score


def awaiting_reason(criteria: Sequence[CriterionResult], locale: Locale) -> str:
    """Which criteria wait for a person and why, in the learner's language."""
    waiting = [f"«{c.label or describe(c.criterion)}»: {c.evidence}" for c in awaiting_judgement(criteria)]
    return text("awaiting.reason", locale, count=len(waiting), criteria=" · ".join(waiting))


def feedback_with_judgement(feedback: str, judged: CriterionResult, locale: Locale) -> str:
    """The review's feedback with a person's judgement of a criterion added under its own heading
    (the review's own criteria section says what the review could decide)."""
    heading = f"### {text('judged-by-person', locale)}"
    mark = "✅" if judged.status is CriterionStatus.MET else "❌"
    line = f"- {mark} {judged.label or describe(judged.criterion)} — {judged.evidence}"
    if judged.note:
        line += f" {text('judgement-note', locale, note=judged.note)}"
    opened = feedback if heading in feedback else f"{feedback}\n\n{heading}" if feedback else heading
    return f"{opened}\n{line}"
