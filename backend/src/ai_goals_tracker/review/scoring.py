"""Score and verdict from findings and criteria results."""

from __future__ import annotations

from collections.abc import Sequence

from ai_goals_tracker.review.models import (
    Category,
    CriterionResult,
    CriterionStatus,
    Finding,
    FindingType,
    ReviewOutcome,
    Severity,
)

_PENALTY = {Severity.CRITICAL: 0.4, Severity.MAJOR: 0.15, Severity.MINOR: 0.03, Severity.INFO: 0.0}
# Many small style remarks should not sink otherwise good work.
_MINOR_PENALTY_CAP = 0.15
_FINDINGS_WEIGHT = 0.6


def findings_quality(findings: Sequence[Finding]) -> float:
    """1.0 for no findings, falling with each one by severity."""
    counted = [f for f in findings if f.type is not FindingType.CELEBRATORY]
    minor = sum(_PENALTY[f.severity] for f in counted if f.severity is Severity.MINOR)
    serious = sum(_PENALTY[f.severity] for f in counted if f.severity is not Severity.MINOR)
    return max(0.0, 1.0 - serious - min(minor, _MINOR_PENALTY_CAP))


def criteria_ratio(criteria: Sequence[CriterionResult]) -> float | None:
    """Share of decided criteria that are met; None when nothing could be decided."""
    decided = [c for c in criteria if c.status is not CriterionStatus.NEEDS_HUMAN]
    if not decided:
        return None
    return sum(c.status is CriterionStatus.MET for c in decided) / len(decided)


def score(findings: Sequence[Finding], criteria: Sequence[CriterionResult]) -> float:
    quality = findings_quality(findings)
    ratio = criteria_ratio(criteria)
    if ratio is None:
        return round(quality, 4)
    return round(_FINDINGS_WEIGHT * quality + (1 - _FINDINGS_WEIGHT) * ratio, 4)


def blocking_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Findings that fail a submission whatever its score."""
    return [
        f
        for f in findings
        if f.type is FindingType.ESSENTIAL
        or (f.category is Category.SECURITY and f.severity in (Severity.CRITICAL, Severity.MAJOR))
    ]


def unmet_deterministic(criteria: Sequence[CriterionResult]) -> list[CriterionResult]:
    """Criteria whose `not_met` fails the submission: a check's evidence or a person's rejection.

    An LLM's judgement moves the score, not the gate."""
    return [c for c in criteria if c.judged_by != "llm" and c.status is CriterionStatus.NOT_MET]


def awaiting_judgement(criteria: Sequence[CriterionResult]) -> list[CriterionResult]:
    """Criteria nobody has decided: a sentence offline, a check that could not run, a model answer that
    did not validate. Each waits for a person; none of them counts as met."""
    return [c for c in criteria if c.status is CriterionStatus.NEEDS_HUMAN]


def best_case_score(findings: Sequence[Finding], criteria: Sequence[CriterionResult]) -> float:
    """The score the submission would have if every waiting criterion were confirmed met."""
    hoped = [c.model_copy(update={"status": CriterionStatus.MET}) if c.awaiting_judgement else c for c in criteria]
    return score(findings, hoped)


def outcome(
    findings: Sequence[Finding], criteria: Sequence[CriterionResult], final_score: float, threshold: float
) -> ReviewOutcome:
    """The verdict: a pass needs every criterion decided.

    What fails the code fails it at once, waiting criteria or not: a blocking finding, a criterion
    not met, or a score below the threshold even if every waiting criterion were confirmed. Otherwise a
    waiting criterion leaves the review `awaiting_judgement` (no verdict), and only then can it pass.
    """
    if blocking_findings(findings) or unmet_deterministic(criteria):
        return ReviewOutcome.FAILED
    if awaiting_judgement(criteria):
        hoped = best_case_score(findings, criteria)
        return ReviewOutcome.AWAITING_JUDGEMENT if hoped >= threshold else ReviewOutcome.FAILED
    return ReviewOutcome.PASSED if final_score >= threshold else ReviewOutcome.FAILED


def passed(
    findings: Sequence[Finding], criteria: Sequence[CriterionResult], final_score: float, threshold: float
) -> bool:
    return outcome(findings, criteria, final_score, threshold) is ReviewOutcome.PASSED
