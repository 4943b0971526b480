from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from ai_goals_tracker.criteria import CriteriaDocument, stored_form
from ai_goals_tracker.models.enums import GoalPriority, GoalStatus
from ai_goals_tracker.schemas import (
    Description,
    Metadata,
    PatchModel,
    Title,
    UtcDatetime,
    read_metadata_field,
)

if TYPE_CHECKING:
    ValidationCriteria = dict[str, Any]
else:
    # Validated as the typed document (422 naming an unknown check or a missing field), kept as its JSON.
    ValidationCriteria = Annotated[
        CriteriaDocument, AfterValidator(stored_form), PlainSerializer(dict, return_type=dict[str, Any])
    ]


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
