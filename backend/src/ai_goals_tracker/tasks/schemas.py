from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ai_goals_tracker.models.enums import TaskStatus, TaskType
from ai_goals_tracker.schemas import Description, Metadata, PatchModel, Title, read_metadata_field

Hours = Annotated[float, Field(ge=0, le=10_000)]
Priority = Annotated[int, Field(ge=0, le=100, description="Higher is more important.")]


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goal_id: str = Field(min_length=1, max_length=40)
    title: Title
    description: Description | None = None
    task_type: TaskType = TaskType.CODE
    priority: Priority = 0
    estimated_hours: Hours | None = None
    metadata: Metadata = Field(default_factory=dict)


class TaskUpdate(PatchModel):
    NOT_NULL = ("title", "task_type", "status", "priority", "metadata")

    title: Title | None = None
    description: Description | None = None
    task_type: TaskType | None = None
    status: TaskStatus | None = None
    priority: Priority | None = None
    estimated_hours: Hours | None = None
    actual_hours: Hours | None = None
    metadata: Metadata | None = None


class TaskMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: TaskStatus = Field(description="The status to reach through the legal path.")


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    goal_id: str
    user_id: str
    title: str
    description: str | None
    task_type: TaskType
    status: TaskStatus
    priority: int
    estimated_hours: float | None
    actual_hours: float | None
    validation_result: dict[str, Any] | None
    ai_feedback: str | None
    metadata: dict[str, Any] = read_metadata_field()
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
