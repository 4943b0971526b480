from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ai_goals_tracker.models.enums import CourseStatus
from ai_goals_tracker.schemas import Description, Metadata, PatchModel, Title, read_metadata_field


class CourseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description | None = None
    status: CourseStatus = Field(default=CourseStatus.DRAFT, description="draft or active")
    metadata: Metadata = Field(default_factory=dict)


class CourseUpdate(PatchModel):
    NOT_NULL = ("title", "status", "metadata")

    title: Title | None = None
    description: Description | None = None
    status: CourseStatus | None = None
    metadata: Metadata | None = None


class CourseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: str
    title: str
    description: str | None
    status: CourseStatus
    progress_percentage: float
    metadata: dict[str, Any] = read_metadata_field()
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
