"""The one lifecycle of courses, goals and tasks: the legal steps, what each stamps, which event names it.

Nothing else changes a status. `move` applies one legal step with its timestamps and records its
event; `walk` reaches a target through the legal path, one step and one event at a time. A walk
passes only through a lifecycle's waypoints (for a task: todo, in_progress, in_review), never
through a decision such as failed or skipped. An illegal step or an unreachable target answers 409
naming the statuses reachable from here.

A `code` task reaches `completed` only through a passing review (`reviewed=True`, the review job);
a superuser may complete one of their own by hand, and the event says so. Other tasks are
completed by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.errors import ConflictError
from ai_goals_tracker.events.recorder import record
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.i18n import N_, Message
from ai_goals_tracker.models import Course, Goal, Task
from ai_goals_tracker.models.enums import CourseStatus, EventType, GoalStatus, TaskStatus, TaskType

S = TypeVar("S", bound=StrEnum)
Tracked = Course | Goal | Task

# The rule a superuser's hand completion of a code task overrides, named in that event.
REVIEW_RULE = "code_task_completed_by_review"


@dataclass(frozen=True, slots=True)
class Lifecycle(Generic[S]):
    kind: str
    transitions: Mapping[S, tuple[S, ...]]
    # The event of a step into each status; a step into any other status is `changed`.
    events: Mapping[S, EventType]
    changed: EventType
    # Reaching one of these the first time stamps `started_at`.
    started: frozenset[S]
    # Reaching it stamps `completed_at`; any other status clears it, except `keeps_completed_at`.
    completed: S
    keeps_completed_at: frozenset[S]
    # The statuses a walk may pass through on its way to a target.
    waypoints: frozenset[S]

    def ensure_step(self, current: S, target: S) -> None:
        if target != current and target not in self.transitions[current]:
            raise self._unreachable(current, target)

    def path(self, current: S, target: S) -> tuple[S, ...]:
        """The shortest legal path from `current` to `target` through waypoints (empty if already there)."""
        paths: dict[S, tuple[S, ...]] = {current: ()}
        frontier = [current]
        while frontier and target not in paths:
            following: list[S] = []
            for status in frontier:
                if status != current and status not in self.waypoints:
                    continue
                for step in self.transitions[status]:
                    if step not in paths:
                        paths[step] = (*paths[status], step)
                        following.append(step)
            frontier = following
        if target not in paths:
            raise self._unreachable(current, target)
        return paths[target]

    def event(self, target: S) -> EventType:
        return self.events.get(target, self.changed)

    def stamp(self, entity: Tracked, status: S, now: datetime) -> None:
        if status in self.started and getattr(entity, "started_at", None) is None:
            entity.started_at = now  # type: ignore[union-attr]
        if status == self.completed:
            entity.completed_at = now
        elif status not in self.keeps_completed_at:
            entity.completed_at = None

    def _unreachable(self, current: S, target: S) -> ConflictError:
        allowed = self.transitions[current]
        return ConflictError(
            _ILLEGAL[self.kind] if allowed else _FINAL[self.kind],
            params={
                "current": current.value,
                "target": target.value,
                "allowed": ", ".join(status.value for status in allowed),
            },
            code="illegal_transition",
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


TASK: Lifecycle[TaskStatus] = Lifecycle(
    kind="task",
    transitions={
        TaskStatus.TODO: (TaskStatus.IN_PROGRESS, TaskStatus.SKIPPED),
        TaskStatus.IN_PROGRESS: (TaskStatus.IN_REVIEW, TaskStatus.SKIPPED),
        TaskStatus.IN_REVIEW: (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.SKIPPED),
        TaskStatus.FAILED: (TaskStatus.IN_PROGRESS, TaskStatus.SKIPPED),
        TaskStatus.COMPLETED: (),
        # A skipped task can be taken up again.
        TaskStatus.SKIPPED: (TaskStatus.TODO,),
    },
    events={
        TaskStatus.IN_PROGRESS: EventType.TASK_STARTED,
        TaskStatus.COMPLETED: EventType.TASK_COMPLETED,
        TaskStatus.FAILED: EventType.TASK_FAILED,
    },
    changed=EventType.TASK_UPDATED,
    started=frozenset({TaskStatus.IN_PROGRESS, TaskStatus.IN_REVIEW, TaskStatus.COMPLETED, TaskStatus.FAILED}),
    completed=TaskStatus.COMPLETED,
    keeps_completed_at=frozenset(),
    waypoints=frozenset({TaskStatus.TODO, TaskStatus.IN_PROGRESS, TaskStatus.IN_REVIEW}),
)

GOAL: Lifecycle[GoalStatus] = Lifecycle(
    kind="goal",
    transitions={
        GoalStatus.PENDING: (GoalStatus.IN_PROGRESS, GoalStatus.BLOCKED, GoalStatus.CANCELLED),
        GoalStatus.IN_PROGRESS: (GoalStatus.COMPLETED, GoalStatus.BLOCKED, GoalStatus.CANCELLED),
        GoalStatus.BLOCKED: (GoalStatus.PENDING, GoalStatus.IN_PROGRESS, GoalStatus.CANCELLED),
        GoalStatus.COMPLETED: (GoalStatus.IN_PROGRESS,),
        GoalStatus.CANCELLED: (GoalStatus.PENDING,),
    },
    events={
        GoalStatus.IN_PROGRESS: EventType.GOAL_STARTED,
        GoalStatus.COMPLETED: EventType.GOAL_COMPLETED,
        GoalStatus.BLOCKED: EventType.GOAL_BLOCKED,
    },
    changed=EventType.GOAL_UPDATED,
    started=frozenset({GoalStatus.IN_PROGRESS, GoalStatus.COMPLETED}),
    completed=GoalStatus.COMPLETED,
    keeps_completed_at=frozenset(),
    waypoints=frozenset({GoalStatus.IN_PROGRESS}),
)

COURSE: Lifecycle[CourseStatus] = Lifecycle(
    kind="course",
    transitions={
        CourseStatus.DRAFT: (CourseStatus.ACTIVE, CourseStatus.ARCHIVED),
        CourseStatus.ACTIVE: (CourseStatus.COMPLETED, CourseStatus.ARCHIVED),
        CourseStatus.COMPLETED: (CourseStatus.ARCHIVED, CourseStatus.ACTIVE),
        CourseStatus.ARCHIVED: (CourseStatus.ACTIVE,),
    },
    events={
        CourseStatus.COMPLETED: EventType.COURSE_COMPLETED,
        CourseStatus.ARCHIVED: EventType.COURSE_ARCHIVED,
    },
    changed=EventType.COURSE_UPDATED,
    started=frozenset(),
    completed=CourseStatus.COMPLETED,
    # An archived course keeps the date it was completed.
    keeps_completed_at=frozenset({CourseStatus.ARCHIVED}),
    waypoints=frozenset(),
)


def lifecycle_of(entity: Tracked) -> Lifecycle[Any]:
    if isinstance(entity, Task):
        return TASK
    if isinstance(entity, Goal):
        return GOAL
    return COURSE


async def move(
    session: AsyncSession,
    entity: Tracked,
    target: StrEnum,
    context: ChangeContext,
    *,
    reviewed: bool = False,
    superuser_id: str | None = None,
) -> None:
    """Apply one legal step with its timestamps, and record the event that names it.

    `reviewed` says a passing review asks for it; `superuser_id` names a superuser acting by hand.
    """
    lifecycle = lifecycle_of(entity)
    # The entity's own enum: statuses of different entities with one value compare equal as strings.
    status = type(entity.status)(target)
    lifecycle.ensure_step(entity.status, status)
    extra = _completion_by_hand(entity, status, reviewed=reviewed, superuser_id=superuser_id)
    entity.status = status
    lifecycle.stamp(entity, status, datetime.now(UTC))
    await record(session, lifecycle.event(status), entity, context, user_id=entity.user_id, extra=extra)


async def walk(
    session: AsyncSession,
    entity: Tracked,
    target: StrEnum,
    context: ChangeContext,
    *,
    reviewed: bool = False,
    superuser_id: str | None = None,
) -> tuple[StrEnum, ...]:
    """Reach `target` through the legal path, one `move` (and one event) per step; return the steps.

    A walk that would be refused on the way is refused before its first step, so it changes
    nothing even where the caller keeps the transaction.
    """
    steps: tuple[StrEnum, ...] = lifecycle_of(entity).path(entity.status, target)
    for status in steps:
        _completion_by_hand(entity, status, reviewed=reviewed, superuser_id=superuser_id)
    for status in steps:
        await move(session, entity, status, context, reviewed=reviewed, superuser_id=superuser_id)
    return steps


def _completion_by_hand(
    entity: Tracked, target: StrEnum, *, reviewed: bool, superuser_id: str | None
) -> dict[str, Any] | None:
    """None when the step needs no review; the override an event records when a superuser skips one."""
    if reviewed or not isinstance(entity, Task) or target != TaskStatus.COMPLETED:
        return None
    if entity.task_type != TaskType.CODE:
        return None
    if superuser_id is None:
        raise ConflictError(
            N_("A code task is completed by a passing review of its code: submit the code for review"),
            code="review_required",
            extra={"current": entity.status.value, "task_type": entity.task_type.value},
        )
    return {"override": {"rule": REVIEW_RULE, "by": superuser_id}}
