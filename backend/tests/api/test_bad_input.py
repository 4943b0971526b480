"""Values an attacker (or a broken client) sends on purpose: each one is a 4xx that says what
was wrong, never a 500, and the connection keeps serving the next request."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ai_goals_tracker.main import MAX_REQUEST_BODY_BYTES
from tests.helpers import API, ApiUser, register_and_login


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def nested_json(depth: int) -> str:
    return '{"a":' * depth + "{}" + "}" * depth


def raw_json(document: dict[str, Any], literal: str) -> str:
    """`document` as JSON with the string "LITERAL" replaced by `literal` as written (NaN, 1e400…)."""
    return json.dumps(document).replace('"LITERAL"', literal)


@pytest.fixture
async def ana(client: httpx.AsyncClient) -> ApiUser:
    return await register_and_login(client, "ana")


async def assert_4xx_and_still_serving(client: httpx.AsyncClient, response: httpx.Response, ana: ApiUser) -> None:
    assert 400 <= response.status_code < 500, response.text
    assert "detail" in response.json()
    after = await client.get(f"{API}/users/me", headers=ana.headers)
    assert after.status_code == 200, after.text


@pytest.mark.parametrize(
    "path",
    [
        "/tasks?goal_id=a%00b",
        "/tasks/tsk_%00abc",
        "/goals/gol_%00abc",
        "/goals?course_id=crs_%00",
        "/events?entity_id=a%00b",
        "/events?event_type=task.%00",
        "/courses/crs_%00x",
        "/snapshots/cs_%00x",
    ],
)
async def test_nul_in_query_and_path_is_4xx(client: httpx.AsyncClient, ana: ApiUser, path: str) -> None:
    response = await client.get(f"{API}{path}", headers=ana.headers)
    await assert_4xx_and_still_serving(client, response, ana)


async def test_nul_in_login_form_is_4xx(client: httpx.AsyncClient, ana: ApiUser) -> None:
    response = await client.post(f"{API}/auth/login", data={"username": "an\x00a", "password": "whatever it is"})
    await assert_4xx_and_still_serving(client, response, ana)


async def test_nul_in_registered_full_name_is_422_on_that_field(client: httpx.AsyncClient, ana: ApiUser) -> None:
    response = await client.post(
        f"{API}/auth/register",
        json={
            "email": "bob@example.com",
            "username": "bob",
            "password": "correct horse battery",
            "full_name": "B\x00b",
        },
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "full_name"]
    await assert_4xx_and_still_serving(client, response, ana)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize(("method", "path"), [("PATCH", "/users/me"), ("POST", "/goals")])
async def test_non_finite_numbers_in_metadata_are_422(
    client: httpx.AsyncClient, ana: ApiUser, number: str, method: str, path: str
) -> None:
    fields = {"title": "Learn"} if path == "/goals" else {}
    body = raw_json({**fields, "metadata": {"score": "LITERAL"}}, number)
    response = await client.request(
        method, f"{API}{path}", content=body, headers={**ana.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == "metadata"
    await assert_4xx_and_still_serving(client, response, ana)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e400"])
async def test_non_finite_hours_are_422(client: httpx.AsyncClient, ana: ApiUser, number: str) -> None:
    goal = await client.post(f"{API}/goals", json={"title": "Learn"}, headers=ana.headers)
    body = raw_json({"goal_id": goal.json()["id"], "title": "Read", "estimated_hours": "LITERAL"}, number)
    response = await client.post(
        f"{API}/tasks", content=body, headers={**ana.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    await assert_4xx_and_still_serving(client, response, ana)


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
async def test_dates_that_overflow_once_in_utc_are_422(client: httpx.AsyncClient, ana: ApiUser, moment: str) -> None:
    created = await client.post(f"{API}/goals", json={"title": "Learn", "due_date": moment}, headers=ana.headers)
    assert created.status_code == 422, created.text
    assert created.json()["detail"][0]["loc"] == ["body", "due_date"]
    listed = await client.get(f"{API}/events", params={"since": moment}, headers=ana.headers)
    assert listed.status_code == 422, listed.text
    await assert_4xx_and_still_serving(client, listed, ana)


@pytest.mark.parametrize("query", ["end=9999-12-31", "start=9999-12-31"])
async def test_stats_windows_at_the_edges_of_the_calendar_are_4xx(
    client: httpx.AsyncClient, ana: ApiUser, query: str
) -> None:
    response = await client.get(f"{API}/stats/me?{query}", headers=ana.headers)
    await assert_4xx_and_still_serving(client, response, ana)


@pytest.mark.parametrize("depth", [256, 600, 900])
async def test_deeply_nested_metadata_is_422(client: httpx.AsyncClient, ana: ApiUser, depth: int) -> None:
    response = await client.patch(
        f"{API}/users/me",
        content=raw_json({"metadata": "LITERAL"}, nested_json(depth)),
        headers={**ana.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    await assert_4xx_and_still_serving(client, response, ana)


async def test_moderately_nested_metadata_is_kept(client: httpx.AsyncClient, ana: ApiUser) -> None:
    response = await client.patch(f"{API}/users/me", json={"metadata": nested(20)}, headers=ana.headers)
    assert response.status_code == 200, response.text
    assert response.json()["metadata"] == nested(20)


async def test_database_errors_caused_by_input_are_422(client: httpx.AsyncClient, ana: ApiUser) -> None:
    # A task must belong to a goal of yours; an id that names nothing is the client's mistake.
    response = await client.post(
        f"{API}/tasks", content=json.dumps({"goal_id": "gol_\x00", "title": "x"}), headers=ana.headers
    )
    await assert_4xx_and_still_serving(client, response, ana)


async def _chunks(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_an_oversized_body_is_413_in_the_error_shape(
    client: httpx.AsyncClient, ana: ApiUser, chunked: bool
) -> None:
    body = json.dumps({"title": "x", "description": "a" * MAX_REQUEST_BODY_BYTES}).encode()
    headers = {**ana.headers, "content-type": "application/json", "accept-language": "es"}

    response = await client.post(f"{API}/goals", content=_chunks(body) if chunked else body, headers=headers)

    assert response.status_code == 413, response.text
    assert response.json()["detail"] == "El cuerpo de la petición ocupa más de 2048 KB"
    assert response.headers["x-content-type-options"] == "nosniff"
    await assert_4xx_and_still_serving(client, response, ana)
    assert (await client.get(f"{API}/goals", headers=ana.headers)).json()["total"] == 0


async def test_a_spoofed_host_does_not_reach_the_location_of_a_submission(
    client: httpx.AsyncClient, ana: ApiUser
) -> None:
    goal = (await client.post(f"{API}/goals", json={"title": "G"}, headers=ana.headers)).json()
    task = (await client.post(f"{API}/tasks", json={"goal_id": goal["id"], "title": "T"}, headers=ana.headers)).json()

    response = await client.post(
        f"{API}/tasks/{task['id']}/snapshots",
        json={"file_path": "a.py", "code_content": "x = 1\n"},
        headers={**ana.headers, "host": "attacker.example", "x-forwarded-host": "attacker.example"},
    )

    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"{API}/snapshots/{response.json()['id']}"
