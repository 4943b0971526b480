"""Which status changes are legal, what they stamp, and which event each one is.

One table per entity; an illegal change answers 409 naming the statuses reachable from here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from ai_goals_tracker.errors import ConflictError
from ai_goals_tracker.i18n import N_, Message
from ai_goals_tracker.models.enums import CourseStatus, EventType, GoalStatus, TaskStatus

TASK_TRANSITIONS: dict[TaskStatus, tuple[TaskStatus, ...]] = {
    TaskStatus.TODO: (TaskStatus.IN_PROGRESS, TaskStatus.SKIPPED),
    TaskStatus.IN_PROGRESS: (TaskStatus.IN_REVIEW, TaskStatus.SKIPPED),
    TaskStatus.IN_REVIEW: (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.SKIPPED),
    TaskStatus.FAILED: (TaskStatus.IN_PROGRESS, TaskStatus.SKIPPED),
    TaskStatus.COMPLETED: (),
    # A skipped task can be taken up again.
    TaskStatus.SKIPPED: (TaskStatus.TODO,),
}

GOAL_TRANSITIONS: dict[GoalStatus, tuple[GoalStatus, ...]] = {
    GoalStatus.PENDING: (GoalStatus.IN_PROGRESS, GoalStatus.BLOCKED, GoalStatus.CANCELLED),
    GoalStatus.IN_PROGRESS: (GoalStatus.COMPLETED, GoalStatus.BLOCKED, GoalStatus.CANCELLED),
    GoalStatus.BLOCKED: (GoalStatus.PENDING, GoalStatus.IN_PROGRESS, GoalStatus.CANCELLED),
    GoalStatus.COMPLETED: (GoalStatus.IN_PROGRESS,),
    GoalStatus.CANCELLED: (GoalStatus.PENDING,),
}

COURSE_TRANSITIONS: dict[CourseStatus, tuple[CourseStatus, ...]] = {
    CourseStatus.DRAFT: (CourseStatus.ACTIVE, CourseStatus.ARCHIVED),
    CourseStatus.ACTIVE: (CourseStatus.COMPLETED, CourseStatus.ARCHIVED),
    CourseStatus.COMPLETED: (CourseStatus.ARCHIVED, CourseStatus.ACTIVE),
    CourseStatus.ARCHIVED: (CourseStatus.ACTIVE,),
}

TASK_STATUS_EVENTS = {
    TaskStatus.IN_PROGRESS: EventType.TASK_STARTED,
    TaskStatus.COMPLETED: EventType.TASK_COMPLETED,
    TaskStatus.FAILED: EventType.TASK_FAILED,
}
GOAL_STATUS_EVENTS = {
    GoalStatus.IN_PROGRESS: EventType.GOAL_STARTED,
    GoalStatus.COMPLETED: EventType.GOAL_COMPLETED,
    GoalStatus.BLOCKED: EventType.GOAL_BLOCKED,
}
COURSE_STATUS_EVENTS = {
    CourseStatus.COMPLETED: EventType.COURSE_COMPLETED,
    CourseStatus.ARCHIVED: EventType.COURSE_ARCHIVED,
}


S = TypeVar("S", bound=StrEnum)


def ensure_transition(kind: str, transitions: dict[S, tuple[S, ...]], current: S, target: S) -> None:
    if target == current:
        return
    allowed = transitions[current]
    if target not in allowed:
        raise ConflictError(
            _ILLEGAL[kind] if allowed else _FINAL[kind],
            params={"current": current.value, "target": target.value, "allowed": ", ".join(allowed)},
            extra={"current": current.value, "allowed": [status.value for status in allowed]},
        )


# One sentence per kind: the noun's gender changes the rest of the sentence in Spanish.
_ILLEGAL: dict[str, Message] = {
    "task": N_("A task cannot go from {current} to {target}; allowed from {current}: {allowed}"),
    "goal": N_("A goal cannot go from {current} to {target}; allowed from {current}: {allowed}"),
    "course": N_("A course cannot go from {current} to {target}; allowed from {current}: {allowed}"),
}
_FINAL: dict[str, Message] = {
    "task": N_("A task cannot go from {current} to {target}; allowed from {current}: none (final state)"),
    "goal": N_("A goal cannot go from {current} to {target}; allowed from {current}: none (final state)"),
    "course": N_("A course cannot go from {current} to {target}; allowed from {current}: none (final state)"),
}


def stamp(entity: object, *, started: bool, completed: bool) -> None:
    """Set `started_at` the first time work starts, `completed_at` while completed."""
    now = datetime.now(UTC)
    if started and getattr(entity, "started_at", None) is None:
        entity.started_at = now  # type: ignore[attr-defined]
    entity.completed_at = now if completed else None  # type: ignore[attr-defined]
