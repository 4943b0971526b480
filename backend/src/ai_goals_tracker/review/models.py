"""Plain values going into and out of a review: no database, no I/O."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from ai_goals_tracker.i18n import Locale as Locale  # re-exported: the review speaks the learner's language

Criterion = str | dict[str, Any]


class FindingType(StrEnum):
    """Exercism's comment types: how much the learner must act on a comment."""

    ESSENTIAL = "essential"
    ACTIONABLE = "actionable"
    INFORMATIVE = "informative"
    CELEBRATORY = "celebratory"


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; lets callers compare severities."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.MINOR: 1, Severity.MAJOR: 2, Severity.CRITICAL: 3}


class Category(StrEnum):
    SECURITY = "security"
    SYNTAX = "syntax"
    BUG = "bug"
    COMPLEXITY = "complexity"
    STYLE = "style"
    LIMITS = "limits"


class ReviewOutcome(StrEnum):
    """`not_reviewed`: an analyzer that applies could not finish, so the code was neither passed nor failed.

    `awaiting_judgement`: the review found nothing that fails the code, but a criterion nobody could
    decide (`needs_human`) waits for the learner or the goal's owner; until each is judged there is no verdict.
    """

    PASSED = "passed"
    FAILED = "failed"
    AWAITING_JUDGEMENT = "awaiting_judgement"
    NOT_REVIEWED = "not_reviewed"


class CriterionStatus(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NEEDS_HUMAN = "needs_human"


class Finding(BaseModel):
    type: FindingType
    severity: Severity
    category: Category
    rule: str
    message: str
    file: str
    start_line: int | None = None
    end_line: int | None = None
    suggestion: str | None = None
    analyzer: str


class TestOutcome(BaseModel):
    """One test of a `tests` criterion, as the learner sees it."""

    __test__ = False  # a model, not a pytest test class

    name: str
    status: Literal["passed", "failed", "skipped"]
    message: str | None = None
    # The learner's line a failure points at, when the sandbox could tell.
    line: int | None = None


JudgedBy = Literal["check", "llm", "learner", "owner"]
"""Who decided a criterion: a deterministic check (analyzers, tests), a model, or a person: the
learner who submitted the code or the goal's owner. A person's judgement gates the verdict as a check does."""
PERSON_JUDGES: tuple[JudgedBy, ...] = ("learner", "owner")
# Reviews stored before the judges had these names.
_LEGACY_JUDGED_BY: dict[str, JudgedBy | None] = {"analyzer": "check", "none": None}


def stored_judge(value: object) -> object:
    """A stored `judged_by` in today's names (reviews stored earlier said `analyzer` and `none`)."""
    return _LEGACY_JUDGED_BY.get(value, value) if isinstance(value, str) else value


class CriterionResult(BaseModel):
    criterion: Criterion
    kind: Literal["natural_language", "structured"]
    status: CriterionStatus
    evidence: str
    # None while nobody has decided the criterion (`needs_human`).
    judged_by: JudgedBy | None = "check"
    judged_at: datetime | None = None
    # The person who judged it (`learner` / `owner`), and what they wrote about it.
    judge_id: str | None = None
    note: str | None = None
    # The criterion in one line (criteria.render), so clients need not know every check.
    label: str = ""
    # A `tests` criterion that ran: each test's outcome, and the line coverage of the learner's file.
    tests: list[TestOutcome] | None = None
    coverage: float | None = Field(default=None, ge=0.0, le=1.0)

    @field_validator("judged_by", mode="before")
    @classmethod
    def _legacy_judge(cls, value: object) -> object:
        return stored_judge(value)

    @property
    def awaiting_judgement(self) -> bool:
        return self.status is CriterionStatus.NEEDS_HUMAN

    @property
    def judged_by_person(self) -> bool:
        return self.judged_by in PERSON_JUDGES


class Metrics(BaseModel):
    language: str
    lines_of_code: int
    total_lines: int
    complexity_rank: str | None = None
    max_complexity: int | None = None
    maintainability_index: float | None = None
    # Line coverage of the learner's file by the goal's pytest tests (0-1), when they ran.
    test_coverage: float | None = None


class ReviewRequest(BaseModel):
    code: str
    file_path: str
    language: str | None = None
    criteria: list[Criterion] = Field(default_factory=list)
    locale: Locale = "en"
    pass_threshold: float = Field(default=0.7, ge=0.0, le=1.0)
    task_title: str | None = None
    goal_title: str | None = None

    @property
    def is_test_file(self) -> bool:
        """Test modules are where `assert` and fixture passwords belong."""
        return is_test_path(self.file_path)


def is_test_path(file_path: str) -> bool:
    parts = file_path.replace("\\", "/").lower().split("/")
    name = parts[-1]
    stem = name.split(".", 1)[0]
    in_test_folder = any(part in ("test", "tests", "__tests__", "spec") for part in parts[:-1])
    return (
        in_test_folder
        or stem.startswith("test_")
        or stem.endswith("_test")
        or stem == "conftest"
        or any(marker in name for marker in (".test.", ".spec."))
    )


class ReviewResult(BaseModel):
    outcome: ReviewOutcome
    not_reviewed_reason: str | None = Field(
        default=None, description="Why no verdict could be given, in the learner's language (outcome not_reviewed)."
    )
    passed: bool
    score: float = Field(ge=0.0, le=1.0)
    summary: str
    feedback: str
    findings: list[Finding]
    criteria: list[CriterionResult]
    metrics: Metrics
    analyzers_run: list[str]
    notes: list[str] = Field(default_factory=list)
    feedback_source: Literal["offline", "llm"] = "offline"
    warnings: list[str] = Field(
        default_factory=list,
        description="Problems the caller should record as `system.warning` events (e.g. LLM fallback).",
    )
