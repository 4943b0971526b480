"""API schemas of goal planning, and the structure an LLM must answer in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ai_goals_tracker.errors import InvalidValue
from ai_goals_tracker.goals.schemas import GoalRead, ValidationCriteria
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.models.enums import GoalPriority, TaskType
from ai_goals_tracker.schemas import Description, StorableText, Title, UtcDatetime
from ai_goals_tracker.search.catalog import StaticCheck
from ai_goals_tracker.tasks.schemas import Hours, TaskRead

Level = Literal["beginner", "intermediate", "advanced"]
Source = Literal["llm", "catalog"]

MAX_SUGGESTIONS = 10


class SuggestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hours_per_week: float | None = Field(default=None, ge=0.5, le=100, description="Your pace; sets due dates.")
    deadline: date | None = Field(default=None, description="Finish every suggested goal by this day.")
    level: Level | None = None
    focus: StorableText | None = Field(default=None, max_length=500, description="What to concentrate on.")
    count: int = Field(default=5, ge=1, le=MAX_SUGGESTIONS, description="How many goals to suggest.")

    @field_validator("deadline")
    @classmethod
    def _not_past(cls, deadline: date | None) -> date | None:
        # Compared in UTC, where due dates live; a learner west of UTC may pick "today" a little late.
        if deadline is not None and deadline < datetime.now(UTC).date() - timedelta(days=1):
            raise InvalidValue(N_("the deadline has already passed"))
        return deadline


class SuggestedTask(BaseModel):
    title: str
    description: str | None
    task_type: TaskType
    estimated_hours: float


class SuggestedGoal(BaseModel):
    title: str
    description: str | None
    priority: GoalPriority
    due_date: datetime | None = Field(description="Set when a deadline or a weekly pace is given.")
    estimated_hours: float
    validation_criteria: dict[str, Any] = Field(
        description='`{"criteria": [...]}`: sentences for the learner and structured checks run on the code.'
    )
    tasks: list[SuggestedTask]
    catalog_key: str | None = Field(default=None, description="The catalog goal this comes from, if any.")


class Suggestions(BaseModel):
    course_id: str
    source: Source = Field(
        description="`llm`: planned for you by the configured model; `catalog`: the offline catalog."
    )
    language: Literal["es", "en"] = Field(
        description="The learner's preferred language, or else the language the course is written in."
    )
    goals: list[SuggestedGoal] = Field(
        description="Only goals relevant to the course: fewer than asked for, or none, when the catalog has no more."
    )
    notice: str | None = Field(
        default=None,
        description="A sentence for the learner when fewer goals came back than were asked for, saying why "
        "and how to get more.",
    )
    warnings: list[str] = Field(default_factory=list)


class ChosenTask(BaseModel):
    # Suggestions come back as they were sent, possibly edited; fields only shown are ignored.
    model_config = ConfigDict(extra="ignore")

    title: Title
    description: Description | None = None
    task_type: TaskType = TaskType.CODE
    estimated_hours: Hours | None = None


class ChosenGoal(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Title
    description: Description | None = None
    priority: GoalPriority = GoalPriority.MEDIUM
    validation_criteria: ValidationCriteria = Field(default_factory=dict)
    due_date: UtcDatetime | None = None
    tasks: list[ChosenTask] = Field(default_factory=list, max_length=20)
    catalog_key: str | None = Field(default=None, max_length=100)


class AcceptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goals: list[ChosenGoal] = Field(min_length=1, max_length=MAX_SUGGESTIONS)


class AcceptedGoal(GoalRead):
    tasks: list[TaskRead]


class Accepted(BaseModel):
    goals: list[AcceptedGoal]


# What the LLM answers: validated before anything reaches the learner.


# Every text has a length limit: a small model otherwise writes until its context is full. The
# limits are generous for a good answer and reach the model in the schema's descriptions.
PlannedText = Annotated[str, Field(max_length=300)]


class PlannedTask(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(max_length=600)
    task_type: TaskType
    estimated_hours: float = Field(gt=0, le=40)


class PlannedGoal(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(max_length=1000)
    priority: GoalPriority
    criteria: list[PlannedText] = Field(min_length=1, max_length=8, description="Sentences a reviewer can verify.")
    # Only checks that read the code: a test module is the catalog's to write, not a model's.
    checks: list[StaticCheck] = Field(max_length=6, description="Checks run on the submitted code.")
    tasks: list[PlannedTask] = Field(min_length=3, max_length=8)


class Plan(BaseModel):
    goals: list[PlannedGoal] = Field(min_length=1, max_length=MAX_SUGGESTIONS)
