"""Code review: analyzers, criteria checks, score, verdict and learner feedback (no database)."""

from ai_goals_tracker.review.i18n import text
from ai_goals_tracker.review.languages import infer_language, normalize_language
from ai_goals_tracker.review.limits import ReviewLimits
from ai_goals_tracker.review.models import (
    Criterion,
    CriterionResult,
    CriterionStatus,
    Finding,
    FindingType,
    Locale,
    Metrics,
    ReviewOutcome,
    ReviewRequest,
    ReviewResult,
    Severity,
)
from ai_goals_tracker.review.pipeline import (
    lines_of_code,
    not_reviewed_result,
    review_budget,
    review_offline,
    review_submission,
    review_submission_with_llm,
    warm_up_reviews,
)
from ai_goals_tracker.review.sandbox import default_sandbox

__all__ = [
    "Criterion",
    "CriterionResult",
    "CriterionStatus",
    "Finding",
    "FindingType",
    "Locale",
    "Metrics",
    "ReviewLimits",
    "ReviewOutcome",
    "ReviewRequest",
    "ReviewResult",
    "Severity",
    "default_sandbox",
    "infer_language",
    "lines_of_code",
    "normalize_language",
    "not_reviewed_result",
    "review_budget",
    "review_offline",
    "review_submission",
    "review_submission_with_llm",
    "text",
    "warm_up_reviews",
]
