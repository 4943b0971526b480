"""Code review: analyzers, criteria checks, score, verdict and learner feedback (no database)."""

from ai_goals_tracker.review.languages import infer_language
from ai_goals_tracker.review.limits import ReviewLimits
from ai_goals_tracker.review.models import (
    CriterionResult,
    CriterionStatus,
    Finding,
    FindingType,
    Metrics,
    ReviewRequest,
    ReviewResult,
    Severity,
)
from ai_goals_tracker.review.pipeline import lines_of_code, review_submission, review_submission_with_llm

__all__ = [
    "CriterionResult",
    "CriterionStatus",
    "Finding",
    "FindingType",
    "Metrics",
    "ReviewLimits",
    "ReviewRequest",
    "ReviewResult",
    "Severity",
    "infer_language",
    "lines_of_code",
    "review_submission",
    "review_submission_with_llm",
]
