"""Goals' validation criteria through the API: typed, refused with a 422 naming what is wrong."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from ai_goals_tracker.config import Settings
from ai_goals_tracker.criteria import Regex, Sentence, Tests, Unreadable, read, render
from ai_goals_tracker.main import create_app
from tests.helpers import API, register_and_login

TESTS = {
    "check": "tests",
    "framework": "pytest",
    "code": "import cart\n\n\ndef test_total():\n    assert cart.total([1]) == 1\n",
}


async def create(client: httpx.AsyncClient, headers: dict[str, str], criteria: list[Any]) -> httpx.Response:
    body = {"title": "Cart", "validation_criteria": {"criteria": criteria}}
    return await client.post(f"{API}/goals", json=body, headers=headers)


async def test_every_kind_of_criterion_is_saved_as_written(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "typed")
    criteria = [
        "Implementar login y registro",
        {"check": "defines", "name": "login", "kind": "function"},
        {"check": "imports", "module": "jwt"},
        {"check": "regex", "pattern": r"compare_digest\(", "flags": "i", "expect": "match"},
        {"check": "max_complexity", "value": 10},
        {"check": "no_findings", "severity": "major", "category": "security"},
        {"check": "tests", "framework": "node", "code": "const test = require('node:test');\ntest('x', () => {});\n"},
        TESTS,
    ]
    response = await create(client, user.headers, criteria)
    assert response.status_code == 201, response.text
    assert response.json()["validation_criteria"] == {"criteria": criteria}
    goal_id = response.json()["id"]

    update = {"validation_criteria": {"criteria": [{"description": "Tokens expire"}, TESTS]}}
    response = await client.patch(f"{API}/goals/{goal_id}", json=update, headers=user.headers)
    assert response.status_code == 200, response.text
    # The documented `{"description": …}` sentence is stored as the seed's plain string.
    assert response.json()["validation_criteria"] == {"criteria": ["Tokens expire", TESTS]}


async def test_an_unknown_check_or_a_missing_field_is_a_422_naming_it(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "strict")
    response = await create(client, user.headers, ["fine", {"check": "deffines", "name": "login"}])
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"][:3] == ["body", "validation_criteria", "criteria"]
    assert "criteria[1]: unknown check 'deffines'" in error["msg"]

    response = await create(client, user.headers, [{"check": "tests", "framework": "pytest"}])
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "validation_criteria", "criteria", 0, "tests", "code"]
    assert error["msg"] == "Field required"

    response = await create(client, user.headers, [{"check": "tests", "framework": "jest", "code": "x"}])
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "framework"

    response = await create(client, user.headers, [{"check": "imports", "modul": "jwt"}])
    assert response.status_code == 422
    assert {tuple(e["loc"][-1:]) for e in response.json()["detail"]} == {("module",), ("modul",)}

    response = await create(client, user.headers, [{"check": "regex", "pattern": "("}])
    assert response.status_code == 422
    assert "invalid regular expression" in response.json()["detail"][0]["msg"]

    goal = (await create(client, user.headers, ["fine"])).json()
    response = await client.patch(
        f"{API}/goals/{goal['id']}",
        json={"validation_criteria": {"criteria": [{"check": "max_complexity"}]}},
        headers=user.headers,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "value"


def test_stored_criteria_that_no_longer_validate_are_read_with_the_reason() -> None:
    unknown = read({"check": "deffines", "name": "x"})
    assert isinstance(unknown, Unreadable)
    assert unknown.reason.startswith("unknown check 'deffines'")
    assert render(unknown) == "deffines(name=x)"
    missing = read({"check": "defines"})
    assert isinstance(missing, Unreadable) and missing.reason == "`name` Field required"
    assert isinstance(read("Tokens expire"), Sentence)
    assert isinstance(read({"check": "regex", "pattern": "a+"}), Regex)
    tests = read(TESTS)
    assert isinstance(tests, Tests) and render(tests) == "Passes the goal's pytest tests: test_total"
    described = read({**TESTS, "description": "Totals add up"})
    assert render(described) == "Totals add up"


async def test_health_says_whether_the_sandbox_runs(client: httpx.AsyncClient, settings: Settings) -> None:
    body = (await client.get("/health")).json()
    assert body["sandbox"].startswith("bubblewrap ")
    without: FastAPI = create_app(
        settings.model_copy(update={"sandbox_bwrap": "/nonexistent/bwrap"}), str(settings.database_url)
    )
    try:
        transport = httpx.ASGITransport(app=without)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
            body = (await other.get("/api/v1/health")).json()
    finally:
        await without.state.engine.dispose()
        await without.state.read_engine.dispose()
    # No worker runs beside this app, so `status` says the service is unavailable; the sandbox is told apart.
    assert (body["database"], body["sandbox"]) == ("ok", "unavailable")
