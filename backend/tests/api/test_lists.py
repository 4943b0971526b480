"""A list answers one page of the caller's own rows in their order, the count of all of them, and
401 once the caller's session has ended, with or without rows to show."""

from __future__ import annotations

import httpx

from tests.helpers import API, register_and_login


async def test_a_task_list_pages_through_the_callers_own_tasks(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    bob = await register_and_login(client, "bob")
    goal = (await client.post(f"{API}/goals", json={"title": "G"}, headers=ana.headers)).json()
    other = (await client.post(f"{API}/goals", json={"title": "Other"}, headers=ana.headers)).json()
    created = [
        (await client.post(f"{API}/tasks", json={"goal_id": goal["id"], "title": f"T{n}"}, headers=ana.headers)).json()
        for n in range(5)
    ]
    await client.post(f"{API}/tasks", json={"goal_id": other["id"], "title": "elsewhere"}, headers=ana.headers)
    bobs_goal = (await client.post(f"{API}/goals", json={"title": "B"}, headers=bob.headers)).json()
    await client.post(f"{API}/tasks", json={"goal_id": bobs_goal["id"], "title": "bob's"}, headers=bob.headers)

    first = await client.get(f"{API}/tasks", params={"goal_id": goal["id"], "limit": 2}, headers=ana.headers)
    assert first.status_code == 200
    assert first.json()["total"] == 5 and first.json()["limit"] == 2 and first.json()["offset"] == 0
    assert first.json()["items"] == created[:2]

    rest = await client.get(f"{API}/tasks", params={"goal_id": goal["id"], "offset": 2}, headers=ana.headers)
    assert [task["title"] for task in rest.json()["items"]] == ["T2", "T3", "T4"]
    assert rest.json()["total"] == 5

    everything = (await client.get(f"{API}/tasks", headers=ana.headers)).json()
    assert everything["total"] == 6 and "bob's" not in [task["title"] for task in everything["items"]]

    past_the_end = await client.get(f"{API}/tasks", params={"goal_id": goal["id"], "offset": 9}, headers=ana.headers)
    assert past_the_end.status_code == 200
    assert past_the_end.json() == {"items": [], "total": 5, "limit": 50, "offset": 9}

    to_do = await client.get(f"{API}/tasks", params={"goal_id": goal["id"], "status": "todo"}, headers=ana.headers)
    assert to_do.json()["total"] == 5

    none_in_progress = await client.get(f"{API}/tasks", params={"status": "in_progress"}, headers=ana.headers)
    assert none_in_progress.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


async def test_a_list_refuses_an_ended_session_with_rows_or_without(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    goal = (await client.post(f"{API}/goals", json={"title": "G"}, headers=ana.headers)).json()
    await client.post(f"{API}/tasks", json={"goal_id": goal["id"], "title": "T"}, headers=ana.headers)
    assert (await client.post(f"{API}/auth/logout", headers=ana.headers)).status_code == 204

    for params in ({}, {"status": "completed"}, {"offset": 10}):
        for path in ("/tasks", "/goals", "/courses"):
            response = await client.get(f"{API}{path}", params=params, headers=ana.headers)
            assert response.status_code == 401, (path, params, response.text)
            assert response.json()["code"] == "unauthorized"
