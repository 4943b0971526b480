"""Signing in to the dashboard from tests, through its own forms."""

from __future__ import annotations

import re

import httpx

from tests.helpers import API, PASSWORD, ApiUser, register_and_login

_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


async def csrf_of(client: httpx.AsyncClient, path: str) -> str:
    """The form token of the page at `path`, as a browser would read it from the form."""
    response = await client.get(path)
    assert response.status_code == 200, response.text
    match = _CSRF.search(response.text)
    assert match is not None, f"no form token on {path}"
    return match.group(1)


async def web_login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    token = await csrf_of(client, "/login")
    response = await client.post("/login", data={"csrf_token": token, "username": username, "password": password})
    assert response.status_code == 303, response.text
    return response


async def signed_in_with_a_task(client: httpx.AsyncClient, username: str) -> tuple[ApiUser, str]:
    """A learner signed in to the dashboard with one code task; the user and the task's page."""
    user = await register_and_login(client, username)
    goal = (await client.post(f"{API}/goals", json={"title": "G"}, headers=user.headers)).json()
    task = (await client.post(f"{API}/tasks", json={"goal_id": goal["id"], "title": "T"}, headers=user.headers)).json()
    await web_login(client, username)
    return user, f"/tasks/{task['id']}"
