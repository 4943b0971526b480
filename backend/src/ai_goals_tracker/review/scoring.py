"""Score and verdict from findings and criteria results."""

from __future__ import annotations

from collections.abc import Sequence

from ai_goals_tracker.review.models import (
    Category,
    CriterionResult,
    CriterionStatus,
    Finding,
    FindingType,
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
    # Only analyzer evidence gates the verdict; an LLM's judgement moves the score, not the gate.
    return [c for c in criteria if c.judged_by == "analyzer" and c.status is CriterionStatus.NOT_MET]


def passed(
    findings: Sequence[Finding], criteria: Sequence[CriterionResult], final_score: float, threshold: float
) -> bool:
    return not blocking_findings(findings) and not unmet_deterministic(criteria) and final_score >= threshold
