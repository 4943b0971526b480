"""What a learner changes from the pages: each form calls the service the matching API endpoint calls."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Request, Response, UploadFile

from ai_goals_tracker.ai.embeddings import get_embedding_provider
from ai_goals_tracker.courses import service as courses_service
from ai_goals_tracker.courses.schemas import CourseCreate
from ai_goals_tracker.db.session import SessionDep
from ai_goals_tracker.deps import SettingsDep
from ai_goals_tracker.errors import ValidationFailedError
from ai_goals_tracker.goals import service as goals_service
from ai_goals_tracker.goals.schemas import GoalCreate
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.models import Course, Task
from ai_goals_tracker.models.enums import CourseStatus, GoalPriority, TaskStatus, TaskType
from ai_goals_tracker.ownership import ID_PATH, load_owned
from ai_goals_tracker.planning import service as planning_service
from ai_goals_tracker.planning.schemas import AcceptRequest, ChosenGoal, SuggestRequest
from ai_goals_tracker.snapshots import service as snapshots_service
from ai_goals_tracker.snapshots.schemas import CriterionJudgement, SnapshotCreate
from ai_goals_tracker.tasks import service as tasks_service
from ai_goals_tracker.tasks.schemas import TaskCreate
from ai_goals_tracker.web.page import Flash, LearnerDep, back_path, redirect, render
from ai_goals_tracker.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)

IdPath = Annotated[str, ID_PATH]
Text = Annotated[str, Form(max_length=20_000)]
# Submitting waits this long for the verdict before showing the review page, which then follows
# the review by itself; most reviews of a small file take well under a second.
REVIEW_WAIT_SECONDS = 5.0


@router.post("/courses")
async def create_course(learner: LearnerDep, session: SessionDep, title: Text = "", description: Text = "") -> Response:
    data = CourseCreate(title=title, description=description or None, status=CourseStatus.ACTIVE)
    course = await courses_service.create(session, learner.user, data, learner.context)
    return redirect(learner.request, f"/courses/{course.id}", Flash("success", learner.t("course.created")))


@router.post("/goals")
async def create_goal(
    learner: LearnerDep,
    session: SessionDep,
    title: Text = "",
    description: Text = "",
    priority: Annotated[GoalPriority, Form()] = GoalPriority.MEDIUM,
    due_date: Annotated[str, Form(max_length=10)] = "",
    criteria: Text = "",
    course_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """A goal from the form; each non-empty line of `criteria` is one criterion."""
    lines = [line.strip() for line in criteria.splitlines() if line.strip()]
    data = GoalCreate(
        title=title,
        description=description or None,
        course_id=course_id or None,
        priority=priority,
        due_date=_end_of_day(due_date),
        validation_criteria={"criteria": lines} if lines else {},
    )
    goal = await goals_service.create(session, learner.user, data, learner.context)
    return redirect(learner.request, f"/goals/{goal.id}", Flash("success", learner.t("goal.created")))


def _end_of_day(value: str) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise ValidationFailedError(N_("due_date must be a date (YYYY-MM-DD)"), extra={"field": "due_date"}) from exc
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


@router.post("/goals/{goal_id}/tasks")
async def create_task(
    goal_id: IdPath,
    learner: LearnerDep,
    session: SessionDep,
    title: Text = "",
    description: Text = "",
    task_type: Annotated[TaskType, Form()] = TaskType.CODE,
    estimated_hours: Annotated[float | None, Form(ge=0, le=10_000)] = None,
) -> Response:
    data = TaskCreate(
        goal_id=goal_id,
        title=title,
        description=description or None,
        task_type=task_type,
        estimated_hours=estimated_hours,
    )
    await tasks_service.create(session, learner.user, data, learner.context)
    return redirect(learner.request, f"/goals/{goal_id}", Flash("success", learner.t("task.created")))


@router.post("/tasks/{task_id}/status")
async def change_task_status(
    task_id: IdPath, learner: LearnerDep, session: SessionDep, status: Annotated[TaskStatus, Form()]
) -> Response:
    """Start, complete, skip or reopen, as `POST /api/v1/tasks/{id}/move` does (its path and 409 messages)."""
    task = await load_owned(session, Task, task_id, learner.user, for_update=True)
    await tasks_service.move_to(session, task, status, learner.context, actor=learner.user)
    return redirect(
        learner.request, back_path(learner.request), Flash("success", learner.t(f"task.now.{status.value}"))
    )


@router.post("/tasks/{task_id}/snapshots")
async def submit_code(
    task_id: IdPath,
    request: Request,
    learner: LearnerDep,
    session: SessionDep,
    file_path: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str, Form(max_length=snapshots_service.MAX_CODE_BYTES)] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Pasted code or an uploaded file, submitted as `POST /api/v1/tasks/{id}/snapshots` does."""
    if upload is not None and upload.filename:
        content = await upload.read(snapshots_service.MAX_CODE_BYTES + 1)
        try:
            code = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationFailedError(N_("The uploaded file is not UTF-8 text."), extra={"field": "upload"}) from exc
        file_path = file_path or upload.filename
    task = await load_owned(session, Task, task_id, learner.user, for_update=True)
    snapshot = await snapshots_service.submit(
        session, task, SnapshotCreate(file_path=file_path, code_content=code), learner.context
    )
    # The worker sees the snapshot and its job only once they are committed.
    await session.commit()
    await snapshots_service.wait_for_verdict(request.app.state.sessionmaker, snapshot.id, REVIEW_WAIT_SECONDS)
    return redirect(request, f"/reviews/{snapshot.id}")


@router.post("/reviews/{snapshot_id}/criteria/{index}/judgement")
async def judge_criterion(
    snapshot_id: IdPath,
    index: Annotated[int, Path(ge=0, le=1000)],
    learner: LearnerDep,
    session: SessionDep,
    met: Annotated[bool, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Confirm or reject a criterion the review could not decide, as
    `POST /api/v1/snapshots/{id}/criteria/{index}/judgement` does."""
    data = CriterionJudgement(met=met, note=note or None)
    snapshot = await snapshots_service.judge_criterion(session, snapshot_id, index, data, learner.user, learner.context)
    if snapshot.validation_passed is None:
        said = learner.t("criterion.confirmed_flash")  # a rejection always settles the verdict
    elif snapshot.validation_passed:
        said = learner.t("criterion.verdict_passed_flash")
    else:
        said = learner.t("criterion.verdict_failed_flash")
    return redirect(learner.request, back_path(learner.request), Flash("success", said))


@router.post("/courses/{course_id}/suggest")
async def suggest_goals(course_id: IdPath, learner: LearnerDep, session: SessionDep, settings: SettingsDep) -> Response:
    """The planner's goals for the course, shown with a checkbox each; nothing is saved yet."""
    course = await load_owned(session, Course, course_id, learner.user)
    provider = get_embedding_provider(settings)
    suggestions = await planning_service.suggest(
        session, settings, provider, learner.user, course, SuggestRequest(), learner.context
    )
    choices = [ChosenGoal.model_validate(goal.model_dump()).model_dump_json() for goal in suggestions.goals]
    return render(
        learner,
        "suggestions.html",
        course=course,
        suggestions=suggestions,
        choices=list(zip(suggestions.goals, choices, strict=True)),
    )


@router.get("/courses/{course_id}/suggest")
async def suggestions_gone(course_id: IdPath, request: Request) -> Response:
    """Suggestions are made by a form; coming back to their address leads to the course."""
    return redirect(request, f"/courses/{course_id}")


@router.post("/courses/{course_id}/accept")
async def accept_goals(
    course_id: IdPath, learner: LearnerDep, session: SessionDep, goal: Annotated[list[str] | None, Form()] = None
) -> Response:
    """Save the checked suggestions, as `POST /api/v1/courses/{id}/goals/accept` does."""
    if not goal:
        return redirect(learner.request, f"/courses/{course_id}", Flash("error", learner.t("suggest.none_chosen")))
    course = await load_owned(session, Course, course_id, learner.user, for_update=True)
    request = AcceptRequest(goals=[ChosenGoal.model_validate_json(choice) for choice in goal])
    accepted = await planning_service.accept(session, learner.user, course, request, learner.context)
    flash = Flash("success", learner.t("suggest.accepted", count=len(accepted.goals)))
    return redirect(learner.request, f"/courses/{course.id}", flash)
