"""The seed's enumerations. Values travel lowercase, event types dotted, as in the seed's examples."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


class CourseStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    COMPLETED = "completed"
    ARCHIVED = "archived"


class GoalStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class GoalPriority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class TaskStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    IN_REVIEW = "in_review"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


class TaskType(StrEnum):
    CODE = "code"
    DOCUMENTATION = "documentation"
    TESTING = "testing"
    RESEARCH = "research"
    REVIEW = "review"
    DEPLOYMENT = "deployment"
    OTHER = "other"


class EventType(StrEnum):
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_LOGIN = "user.login"
    USER_LOGOUT = "user.logout"

    COURSE_CREATED = "course.created"
    COURSE_UPDATED = "course.updated"
    COURSE_COMPLETED = "course.completed"
    COURSE_ARCHIVED = "course.archived"
    COURSE_DELETED = "course.deleted"

    GOAL_CREATED = "goal.created"
    GOAL_UPDATED = "goal.updated"
    GOAL_STARTED = "goal.started"
    GOAL_COMPLETED = "goal.completed"
    GOAL_BLOCKED = "goal.blocked"
    GOAL_DELETED = "goal.deleted"

    TASK_CREATED = "task.created"
    TASK_UPDATED = "task.updated"
    TASK_STARTED = "task.started"
    TASK_COMPLETED = "task.completed"
    TASK_VALIDATED = "task.validated"
    TASK_FAILED = "task.failed"
    TASK_DELETED = "task.deleted"

    CODE_SUBMITTED = "code.submitted"
    CODE_REVIEWED = "code.reviewed"
    CODE_VALIDATED = "code.validated"

    AI_FEEDBACK_GENERATED = "ai.feedback_generated"
    AI_GOAL_SUGGESTED = "ai.goal_suggested"
    AI_VALIDATION_COMPLETED = "ai.validation_completed"

    SYSTEM_ERROR = "system.error"
    SYSTEM_WARNING = "system.warning"

    @property
    def category(self) -> str:
        """The archive file an event belongs to: `task` for `task.completed`."""
        return self.value.split(".", 1)[0]


def pg_enum(enum_class: type[StrEnum], name: str) -> Enum:
    """A PostgreSQL enum storing the lowercase values, not the Python member names."""
    return Enum(
        enum_class,
        name=name,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


COURSE_STATUS = pg_enum(CourseStatus, "course_status")
GOAL_STATUS = pg_enum(GoalStatus, "goal_status")
GOAL_PRIORITY = pg_enum(GoalPriority, "goal_priority")
TASK_STATUS = pg_enum(TaskStatus, "task_status")
TASK_TYPE = pg_enum(TaskType, "task_type")
EVENT_TYPE = pg_enum(EventType, "event_type")
