"""Status transitions: every legal one succeeds, every illegal one answers 409 naming the allowed ones."""

from __future__ import annotations

import httpx
import pytest

from ai_goals_tracker.lifecycle import COURSE_TRANSITIONS, GOAL_TRANSITIONS, TASK_TRANSITIONS
from ai_goals_tracker.models.enums import CourseStatus, GoalStatus, TaskStatus
from tests.helpers import API, ApiUser, register_and_login

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
    return str((await client.post(f"{API}/tasks", json={"title": "t", "goal_id": goal["id"]}, headers=h)).json()["id"])


@pytest.mark.parametrize(
    ("kind", "paths", "transitions"),
    [
        ("task", TASK_PATHS, TASK_TRANSITIONS),
        ("goal", GOAL_PATHS, GOAL_TRANSITIONS),
        ("course", COURSE_PATHS, COURSE_TRANSITIONS),
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
