"""User B tries every endpoint on user A's resources: all 404, and A's data is unchanged."""

from __future__ import annotations

import httpx

from tests.helpers import API, ApiUser, register_and_login


async def seed_resources(client: httpx.AsyncClient, owner: ApiUser) -> dict[str, str]:
    h = owner.headers
    course = (await client.post(f"{API}/courses", json={"title": "A's course"}, headers=h)).json()
    goal = (await client.post(f"{API}/goals", json={"title": "A's goal", "course_id": course["id"]}, headers=h)).json()
    task = (await client.post(f"{API}/tasks", json={"title": "A's task", "goal_id": goal["id"]}, headers=h)).json()
    return {"course": course["id"], "goal": goal["id"], "task": task["id"]}


async def snapshot_of(client: httpx.AsyncClient, owner: ApiUser, ids: dict[str, str]) -> list[dict]:
    return [
        (await client.get(f"{API}/{kind}s/{ids[kind]}", headers=owner.headers)).json()
        for kind in ("course", "goal", "task")
    ]


async def test_another_users_ids_answer_404_and_change_nothing(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    bob = await register_and_login(client, "bob")
    ids = await seed_resources(client, ana)
    before = await snapshot_of(client, ana, ids)
    events_before = (await client.get(f"{API}/events", headers=ana.headers)).json()["total"]

    attempts = [
        ("GET", f"/courses/{ids['course']}", None),
        ("PATCH", f"/courses/{ids['course']}", {"title": "mine now"}),
        ("DELETE", f"/courses/{ids['course']}", None),
        ("GET", f"/goals/{ids['goal']}", None),
        ("PATCH", f"/goals/{ids['goal']}", {"status": "in_progress"}),
        ("DELETE", f"/goals/{ids['goal']}", None),
        ("GET", f"/tasks/{ids['task']}", None),
        ("PATCH", f"/tasks/{ids['task']}", {"status": "in_progress"}),
        ("POST", f"/tasks/{ids['task']}/move", {"status": "skipped"}),
        ("DELETE", f"/tasks/{ids['task']}", None),
    ]
    for method, path, body in attempts:
        response = await client.request(method, f"{API}{path}", json=body, headers=bob.headers)
        assert response.status_code == 404, (method, path, response.text)
        assert "not found" in response.json()["detail"]

    # Pointing B's own goal or task at A's course or goal is refused as well.
    r = await client.post(f"{API}/goals", json={"title": "x", "course_id": ids["course"]}, headers=bob.headers)
    assert r.status_code == 422
    r = await client.post(f"{API}/tasks", json={"title": "x", "goal_id": ids["goal"]}, headers=bob.headers)
    assert r.status_code == 422

    # Lists and filters show B nothing of A's.
    for path, params in [
        ("/courses", {}),
        ("/goals", {"course_id": ids["course"]}),
        ("/tasks", {"goal_id": ids["goal"]}),
        ("/events", {"entity_id": ids["task"]}),
    ]:
        listing = (await client.get(f"{API}{path}", params=params, headers=bob.headers)).json()
        assert listing["items"] == [], path
        assert listing["total"] == 0

    assert await snapshot_of(client, ana, ids) == before
    assert (await client.get(f"{API}/events", headers=ana.headers)).json()["total"] == events_before


async def test_requests_without_a_token_are_refused(client: httpx.AsyncClient) -> None:
    for path in ("/courses", "/goals", "/tasks", "/events", "/users/me"):
        response = await client.get(f"{API}{path}")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
