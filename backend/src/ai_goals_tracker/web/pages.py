"""The pages a learner reads: home, course, goal, task, review, stats and search."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from ai_goals_tracker.ai.embeddings import get_embedding_provider
from ai_goals_tracker.courses import repository as courses_repository
from ai_goals_tracker.db.session import SessionDep
from ai_goals_tracker.deps import SettingsDep
from ai_goals_tracker.events.analytics import Window
from ai_goals_tracker.goals import repository as goals_repository
from ai_goals_tracker.models import CodeSnapshot, Course, Goal, Task
from ai_goals_tracker.models.enums import GoalPriority, TaskStatus, TaskType
from ai_goals_tracker.ownership import ID_PATH, load_owned
from ai_goals_tracker.search import service as search_service
from ai_goals_tracker.search.schemas import EntityTypeFilter
from ai_goals_tracker.snapshots import repository as snapshots_repository
from ai_goals_tracker.stats import service as stats_service
from ai_goals_tracker.stats.endpoints import EventSourcesDep
from ai_goals_tracker.tasks import repository as tasks_repository
from ai_goals_tracker.web import charts, repository, views
from ai_goals_tracker.web.page import LearnerDep, render
from ai_goals_tracker.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)

IdPath = Annotated[str, ID_PATH]
# Pages list at most this many goals or tasks; the API pages through more.
MAX_ROWS = 200


@router.get("/")
async def home(learner: LearnerDep, session: SessionDep, sources: EventSourcesDep) -> Response:
    user = learner.user
    courses = list(await session.scalars(courses_repository.list_query(user.id).limit(MAX_ROWS)))
    loose_goals = list(
        await session.scalars(goals_repository.list_query(user.id).where(Goal.course_id.is_(None)).limit(MAX_ROWS))
    )
    today = datetime.now(UTC).date()
    activity, streak = await stats_service.user_activity(session, sources, user, _heatmap_window(today))
    return render(
        learner,
        "home.html",
        courses=courses,
        loose_goals=loose_goals,
        next_tasks=await repository.next_tasks(session, user.id, 8),
        recent=[
            (snapshot, title, views.review_state(snapshot))
            for snapshot, title in await repository.recent_snapshots(session, user.id, 6)
        ],
        streak=streak,
        heatmap=charts.heatmap(activity, today, learner.t),
        priorities=list(GoalPriority),
    )


def _heatmap_window(today: date) -> Window:
    """The heatmap's weeks, which the stats page's figures cover too."""
    return Window(*charts.heatmap_window(today))


@router.get("/courses/{course_id}")
async def course_page(course_id: IdPath, learner: LearnerDep, session: SessionDep) -> Response:
    course = await load_owned(session, Course, course_id, learner.user)
    goals = list(
        await session.scalars(goals_repository.list_query(learner.user.id, course_id=course.id).limit(MAX_ROWS))
    )
    return render(learner, "course.html", course=course, goals=goals, priorities=list(GoalPriority))


@router.get("/goals/{goal_id}")
async def goal_page(goal_id: IdPath, learner: LearnerDep, session: SessionDep) -> Response:
    goal = await load_owned(session, Goal, goal_id, learner.user)
    course = await session.get(Course, goal.course_id) if goal.course_id else None
    tasks = list(await session.scalars(tasks_repository.list_query(learner.user.id, goal_id=goal.id).limit(MAX_ROWS)))
    return render(
        learner,
        "goal.html",
        goal=goal,
        course=course,
        tasks=tasks,
        criteria=views.goal_criteria(goal.validation_criteria, tasks),
        # Progress a person's confirmation decided, told apart from the progress checks proved.
        judged_tasks=sum(
            t.status is TaskStatus.COMPLETED and views.review_decided_by(t) in ("learner", "owner") for t in tasks
        ),
        task_types=list(TaskType),
    )


@router.get("/tasks/{task_id}")
async def task_page(task_id: IdPath, learner: LearnerDep, session: SessionDep) -> Response:
    task = await load_owned(session, Task, task_id, learner.user)
    goal = await session.get(Goal, task.goal_id)
    snapshots = list(await session.scalars(snapshots_repository.task_history_query(task.id).limit(50)))
    return render(
        learner,
        "task.html",
        task=task,
        goal=goal,
        snapshots=[(snapshot, views.review_state(snapshot)) for snapshot in snapshots],
    )


@router.get("/reviews/{snapshot_id}")
async def review_page(snapshot_id: IdPath, learner: LearnerDep, session: SessionDep) -> Response:
    snapshot = await load_owned(session, CodeSnapshot, snapshot_id, learner.user)
    task = await session.get(Task, snapshot.task_id) if snapshot.task_id else None
    goal = await session.get(Goal, task.goal_id) if task else None
    findings = views.findings(snapshot.issues_found)
    review = snapshot.meta.get("review") if isinstance(snapshot.meta, dict) else None
    return render(
        learner,
        "review.html",
        snapshot=snapshot,
        task=task,
        goal=goal,
        state=views.review_state(snapshot),
        summary=review.get("summary") if isinstance(review, dict) else None,
        criteria=views.snapshot_criteria(snapshot),
        findings=findings,
        lines=views.code_lines(snapshot.code_content, findings),
    )


@router.get("/reviews/{snapshot_id}/state")
async def review_state(snapshot_id: IdPath, learner: LearnerDep, session: SessionDep) -> Response:
    """What the review page's script polls while a review runs."""
    snapshot = await load_owned(session, CodeSnapshot, snapshot_id, learner.user)
    return JSONResponse({"state": views.review_state(snapshot)})


@router.get("/stats")
async def stats_page(learner: LearnerDep, session: SessionDep, sources: EventSourcesDep) -> Response:
    today = datetime.now(UTC).date()
    stats = await stats_service.user_stats(session, sources, learner.user, _heatmap_window(today))
    return render(
        learner,
        "stats.html",
        stats=stats,
        heatmap=charts.heatmap(stats.activity, today, learner.t),
        completions=charts.completions_chart(stats.tasks_completed_per_week, today, learner.t),
        scores=charts.scores_chart(stats.validation_score_per_week[-12:], learner.t),
        hours=charts.hours_chart(stats.hours_per_goal, learner.t),
    )


@router.get("/search")
async def search_page(
    learner: LearnerDep,
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    type: Annotated[EntityTypeFilter | None, Query()] = None,
) -> Response:
    results = None
    if q.strip():
        provider = get_embedding_provider(settings)
        results = await search_service.search(
            session, provider, user_id=learner.user.id, query=q.strip(), entity_type=type, limit=20
        )
    return render(learner, "search.html", q=q, type=type, results=results)
