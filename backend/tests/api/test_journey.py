"""A learner's whole journey through the API, as the acceptance walkthrough does it with curl."""

from __future__ import annotations

import httpx

from tests.helpers import API, register_and_login


async def test_course_goal_tasks_progress_and_events(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    h = {**ana.headers, "X-Client": "cli"}

    course = (await client.post(f"{API}/courses", json={"title": "FastAPI Master Course"}, headers=h)).json()
    assert course["status"] == "draft"
    r = await client.patch(f"{API}/courses/{course['id']}", json={"status": "active"}, headers=h)
    assert r.status_code == 200, r.text
    goal = (
        await client.post(
            f"{API}/goals",
            json={"title": "Crear API REST con autenticación JWT", "course_id": course["id"], "priority": "high"},
            headers=h,
        )
    ).json()
    assert goal["priority"] == "high"
    assert goal["status"] == "pending"
    tasks = []
    # Tasks a learner completes by hand; a code task is completed by a passing review (test_review_flow).
    for title, task_type in (
        ("Leer la guía de seguridad de FastAPI", "research"),
        ("Documentar /login", "documentation"),
        ("Revisar el flujo de tokens", "review"),
    ):
        task = {"goal_id": goal["id"], "title": title, "task_type": task_type}
        r = await client.post(f"{API}/tasks", json=task, headers=h)
        assert r.status_code == 201, r.text
        tasks.append(r.json())

    async def goal_and_course() -> tuple[dict, dict]:
        g = (await client.get(f"{API}/goals/{goal['id']}", headers=h)).json()
        c = (await client.get(f"{API}/courses/{course['id']}", headers=h)).json()
        return g, c

    r = await client.patch(f"{API}/tasks/{tasks[0]['id']}", json={"status": "in_progress"}, headers=h)
    assert r.json()["started_at"] is not None
    g, c = await goal_and_course()
    assert g["status"] == "in_progress"
    assert g["started_at"] is not None
    assert g["progress_percentage"] == 0

    for status in ("in_review", "completed"):
        r = await client.patch(f"{API}/tasks/{tasks[0]['id']}", json={"status": status}, headers=h)
        assert r.status_code == 200, r.text
    g, c = await goal_and_course()
    assert g["progress_percentage"] == 33.33
    assert c["progress_percentage"] == 33.33

    r = await client.patch(f"{API}/tasks/{tasks[1]['id']}", json={"status": "skipped"}, headers=h)
    g, c = await goal_and_course()
    assert g["progress_percentage"] == 50.0

    for status in ("in_progress", "in_review", "completed"):
        r = await client.patch(f"{API}/tasks/{tasks[2]['id']}", json={"status": status}, headers=h)
        assert r.status_code == 200, r.text
    g, c = await goal_and_course()
    assert g["progress_percentage"] == 100.0
    assert g["status"] == "completed"
    assert g["completed_at"] is not None
    assert c["status"] == "completed"
    assert c["progress_percentage"] == 100.0

    events = (await client.get(f"{API}/events", params={"limit": 200}, headers=h)).json()
    types = [e["event_type"] for e in events["items"]]
    assert types[:2] == ["user.created", "user.login"]
    assert types.count("task.completed") == 2
    assert types.count("goal.completed") == 1
    assert types.count("course.completed") == 1
    assert types.index("goal.started") < types.index("goal.completed") < types.index("course.completed")
    assert len({e["id"] for e in events["items"]}) == events["total"] == len(types)
    created = [e["created_at"] for e in events["items"]]
    assert created == sorted(created)
    task_event = next(e for e in events["items"] if e["event_type"] == "task.completed")
    assert task_event["metadata"]["source"] == "cli"
    assert task_event["payload"]["status"] == "completed"
    assert task_event["payload"]["id"] == task_event["entity_id"]
