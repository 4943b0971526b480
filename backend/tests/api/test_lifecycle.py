"""Status transitions: every legal one succeeds, every illegal one answers 409 naming the allowed ones."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from ai_goals_tracker.errors import ConflictError
from ai_goals_tracker.lifecycle import COURSE, GOAL, TASK
from ai_goals_tracker.models.enums import CourseStatus, GoalStatus, TaskStatus
from tests.helpers import API, ApiUser, events_of, make_superuser, register_and_login

# Paths from the initial status to each status, through legal steps only.
TASK_PATHS = {
    TaskStatus.TODO: [],
    TaskStatus.IN_PROGRESS: ["in_progress"],
    TaskStatus.IN_REVIEW: ["in_progress", "in_review"],
    TaskStatus.COMPLETED: ["in_progress", "in_review", "completed"],
    TaskStatus.FAILED: ["in_progress", "in_review", "failed"],
    TaskStatus.SKIPPED: ["skipped"],
}
GOAL_PATHS = {
    GoalStatus.PENDING: [],
    GoalStatus.IN_PROGRESS: ["in_progress"],
    GoalStatus.COMPLETED: ["in_progress", "completed"],
    GoalStatus.BLOCKED: ["blocked"],
    GoalStatus.CANCELLED: ["cancelled"],
}
COURSE_PATHS = {
    CourseStatus.DRAFT: [],
    CourseStatus.ACTIVE: ["active"],
    CourseStatus.COMPLETED: ["active", "completed"],
    CourseStatus.ARCHIVED: ["archived"],
}


async def new_entity(client: httpx.AsyncClient, user: ApiUser, kind: str) -> str:
    h = user.headers
    if kind == "course":
        return str((await client.post(f"{API}/courses", json={"title": "c"}, headers=h)).json()["id"])
    goal = (await client.post(f"{API}/goals", json={"title": "g"}, headers=h)).json()
    if kind == "goal":
        return str(goal["id"])
    # Completed by hand: a code task is completed only by a passing review (test_code_task_completion).
    task = {"title": "t", "goal_id": goal["id"], "task_type": "documentation"}
    return str((await client.post(f"{API}/tasks", json=task, headers=h)).json()["id"])


@pytest.mark.parametrize(
    ("kind", "paths", "transitions"),
    [
        ("task", TASK_PATHS, TASK.transitions),
        ("goal", GOAL_PATHS, GOAL.transitions),
        ("course", COURSE_PATHS, COURSE.transitions),
    ],
)
async def test_transition_matrix(client: httpx.AsyncClient, kind: str, paths: dict, transitions: dict) -> None:
    user = await register_and_login(client, f"matrix_{kind}")
    for start, path in paths.items():
        for target in type(start):
            if target == start:
                continue
            entity_id = await new_entity(client, user, kind)
            url = f"{API}/{kind}s/{entity_id}"
            for step in path:
                r = await client.patch(url, json={"status": step}, headers=user.headers)
                assert r.status_code == 200, (kind, step, r.text)
            response = await client.patch(url, json={"status": target.value}, headers=user.headers)
            if target in transitions[start]:
                assert response.status_code == 200, (kind, start, target, response.text)
                assert response.json()["status"] == target.value
            else:
                assert response.status_code == 409, (kind, start, target, response.text)
                body = response.json()
                assert body["allowed"] == [s.value for s in transitions[start]]
                assert f"from {start.value} to {target.value}" in body["detail"]
                current = (await client.get(url, headers=user.headers)).json()["status"]
                assert current == start.value


async def test_timestamps_follow_the_status(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "stamps")
    task_id = await new_entity(client, user, "task")
    url = f"{API}/tasks/{task_id}"
    todo = (await client.get(url, headers=user.headers)).json()
    assert todo["started_at"] is None
    assert todo["completed_at"] is None
    started = (await client.patch(url, json={"status": "in_progress"}, headers=user.headers)).json()
    assert started["started_at"] is not None
    await client.patch(url, json={"status": "in_review"}, headers=user.headers)
    done = (await client.patch(url, json={"status": "completed"}, headers=user.headers)).json()
    assert done["completed_at"] >= done["started_at"] == started["started_at"]


def test_a_walk_passes_only_through_waypoints() -> None:
    assert TASK.path(TaskStatus.TODO, TaskStatus.COMPLETED) == (
        TaskStatus.IN_PROGRESS,
        TaskStatus.IN_REVIEW,
        TaskStatus.COMPLETED,
    )
    assert TASK.path(TaskStatus.SKIPPED, TaskStatus.IN_PROGRESS) == (TaskStatus.TODO, TaskStatus.IN_PROGRESS)
    assert TASK.path(TaskStatus.FAILED, TaskStatus.IN_REVIEW) == (TaskStatus.IN_PROGRESS, TaskStatus.IN_REVIEW)
    assert TASK.path(TaskStatus.IN_REVIEW, TaskStatus.IN_REVIEW) == ()
    assert GOAL.path(GoalStatus.PENDING, GoalStatus.COMPLETED) == (GoalStatus.IN_PROGRESS, GoalStatus.COMPLETED)
    # Reaching in_progress from in_review would pass through failed: a decision, never a waypoint.
    with pytest.raises(ConflictError, match="allowed from in_review: completed, failed, skipped"):
        TASK.path(TaskStatus.IN_REVIEW, TaskStatus.IN_PROGRESS)
    with pytest.raises(ConflictError, match="none \\(final state\\)"):
        TASK.path(TaskStatus.COMPLETED, TaskStatus.SKIPPED)


async def new_task(client: httpx.AsyncClient, user: ApiUser, task_type: str) -> str:
    goal = (await client.post(f"{API}/goals", json={"title": "g"}, headers=user.headers)).json()
    task = {"title": "t", "goal_id": goal["id"], "task_type": task_type}
    return str((await client.post(f"{API}/tasks", json=task, headers=user.headers)).json()["id"])


async def test_one_request_walks_a_task_to_its_target_with_an_event_per_step(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    user = await register_and_login(client, "walker")
    task_id = await new_task(client, user, "documentation")
    before = len(await events_of(app, user.id))
    response = await client.post(f"{API}/tasks/{task_id}/move", json={"status": "completed"}, headers=user.headers)
    assert response.status_code == 200, response.text
    task = response.json()
    assert task["status"] == "completed"
    assert task["started_at"] is not None
    assert task["completed_at"] >= task["started_at"]
    events = [e for e in (await events_of(app, user.id))[before:] if e.entity_type == "task"]
    assert [(e.event_type, e.payload["status"]) for e in events] == [
        ("task.started", "in_progress"),
        ("task.updated", "in_review"),
        ("task.completed", "completed"),
    ]
    goal = (await client.get(f"{API}/goals/{task['goal_id']}", headers=user.headers)).json()
    assert (goal["status"], goal["progress_percentage"]) == ("completed", 100.0)
    again = await client.post(f"{API}/tasks/{task_id}/move", json={"status": "completed"}, headers=user.headers)
    assert again.status_code == 200
    assert len(await events_of(app, user.id)) == before + len(events) + 2, "goal.started and goal.completed"


async def test_a_walk_that_cannot_finish_changes_nothing(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await register_and_login(client, "stuck")
    task_id = await new_task(client, user, "code")
    before = len(await events_of(app, user.id))
    response = await client.post(f"{API}/tasks/{task_id}/move", json={"status": "completed"}, headers=user.headers)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "review_required"
    assert "A code task is completed by a passing review of its code" in body["detail"]
    task = (await client.get(f"{API}/tasks/{task_id}", headers=user.headers)).json()
    assert (task["status"], task["started_at"]) == ("todo", None), "the steps before the refusal rolled back"
    assert len(await events_of(app, user.id)) == before
    # A status no legal path reaches says where the task can go.
    await client.post(f"{API}/tasks/{task_id}/move", json={"status": "in_review"}, headers=user.headers)
    back = await client.post(f"{API}/tasks/{task_id}/move", json={"status": "in_progress"}, headers=user.headers)
    assert back.status_code == 409
    assert back.json()["code"] == "illegal_transition"
    assert back.json()["allowed"] == ["completed", "failed", "skipped"]


async def test_a_code_task_is_completed_by_review_unless_a_superuser_overrides(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    learner = await register_and_login(client, "learner")
    task_id = await new_task(client, learner, "code")
    url = f"{API}/tasks/{task_id}"
    for step in ("in_progress", "in_review"):
        assert (await client.patch(url, json={"status": step}, headers=learner.headers)).status_code == 200
    refused = await client.patch(url, json={"status": "completed"}, headers=learner.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "review_required"
    assert (await client.get(url, headers=learner.headers)).json()["status"] == "in_review"
    # Other task types are completed by hand.
    other = await new_task(client, learner, "testing")
    moved = await client.post(f"{API}/tasks/{other}/move", json={"status": "completed"}, headers=learner.headers)
    assert moved.json()["status"] == "completed"

    admin = await register_and_login(client, "admin")
    await make_superuser(app, admin.id)
    own = await new_task(client, admin, "code")
    done = await client.post(f"{API}/tasks/{own}/move", json={"status": "completed"}, headers=admin.headers)
    assert done.status_code == 200, done.text
    completion = next(e for e in await events_of(app, admin.id) if e.event_type == "task.completed")
    assert completion.payload["override"] == {"rule": "code_task_completed_by_review", "by": admin.id}
    # Superusers change only their own data, the learner's task included.
    foreign = await client.post(f"{url}/move", json={"status": "completed"}, headers=admin.headers)
    assert foreign.status_code == 403
