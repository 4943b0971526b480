from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ai_goals_tracker.models.enums import GoalPriority, GoalStatus
from ai_goals_tracker.schemas import (
    Description,
    Metadata,
    PatchModel,
    Title,
    UtcDatetime,
    metadata_within_limit,
    read_metadata_field,
)

MAX_CRITERIA = 50
MAX_CRITERION_CHARS = 1000


def _valid_criteria(value: dict[str, Any]) -> dict[str, Any]:
    """`{"criteria": [...]}` as in the seed: sentences, or structured checks such as
    `{"check": "defines", "name": "login"}` (see docs/review-criteria.md)."""
    metadata_within_limit(value)
    criteria = value.get("criteria", [])
    if not isinstance(criteria, list):
        raise ValueError("criteria must be a list")
    if len(criteria) > MAX_CRITERIA:
        raise ValueError(f"at most {MAX_CRITERIA} criteria are allowed")
    for index, criterion in enumerate(criteria):
        if isinstance(criterion, str):
            if not criterion.strip() or len(criterion) > MAX_CRITERION_CHARS:
                raise ValueError(f"criteria[{index}] must be 1 to {MAX_CRITERION_CHARS} characters")
        elif isinstance(criterion, dict):
            if not isinstance(criterion.get("check"), str):
                raise ValueError(f'criteria[{index}] must name its "check"')
        else:
            raise ValueError(f"criteria[{index}] must be a sentence or a structured check")
    return value


ValidationCriteria = Annotated[dict[str, Any], AfterValidator(_valid_criteria)]


class GoalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description | None = None
    course_id: str | None = Field(default=None, max_length=40)
    priority: GoalPriority = GoalPriority.MEDIUM
    validation_criteria: ValidationCriteria = Field(default_factory=dict)
    due_date: UtcDatetime | None = None
    metadata: Metadata = Field(default_factory=dict)


class GoalUpdate(PatchModel):
    NOT_NULL = ("title", "priority", "status", "validation_criteria", "metadata")

    title: Title | None = None
    description: Description | None = None
    course_id: str | None = Field(default=None, max_length=40)
    priority: GoalPriority | None = None
    status: GoalStatus | None = None
    validation_criteria: ValidationCriteria | None = None
    due_date: UtcDatetime | None = None
    metadata: Metadata | None = None


class GoalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: str
    course_id: str | None
    title: str
    description: str | None
    status: GoalStatus
    priority: GoalPriority
    progress_percentage: float
    ai_generated: bool
    validation_criteria: dict[str, Any]
    metadata: dict[str, Any] = read_metadata_field()
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    due_date: datetime | None
