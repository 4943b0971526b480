"""Goal planning through the API: the offline catalog, and an LLM served by a local stub."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from ai_goals_tracker.config import Settings
from ai_goals_tracker.main import create_app
from ai_goals_tracker.models import Event, User
from ai_goals_tracker.models.enums import EventType
from ai_goals_tracker.search.catalog import load_catalog
from tests.ai.openai_stub import Reply, openai_stub
from tests.helpers import API, ApiUser, events_of, register_and_login

RELEVANT_AREAS = {"fastapi", "python", "sql", "testing", "security", "docker"}


async def _course(client: httpx.AsyncClient, user: ApiUser, **extra: Any) -> dict[str, Any]:
    body = {
        "title": "FastAPI Master Course",
        "description": "Build production web APIs.",
        "metadata": {"technologies": ["Python", "FastAPI", "PostgreSQL"]},
        **extra,
    }
    response = await client.post(f"{API}/courses", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    course: dict[str, Any] = response.json()
    return course


async def _suggest(client: httpx.AsyncClient, user: ApiUser, course_id: str, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/courses/{course_id}/goals/suggest", json=body or None, headers=user.headers)
    assert response.status_code == 200, response.text
    suggestions: dict[str, Any] = response.json()
    return suggestions


async def _prefer_spanish(app: FastAPI, user_id: str) -> None:
    async with app.state.sessionmaker() as session:
        await session.execute(update(User).where(User.id == user_id).values(meta={"preferences": {"language": "es"}}))
        await session.commit()


async def test_fastapi_course_gets_relevant_goals_with_criteria_and_tasks_and_accepting_saves_two(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await register_and_login(client, "planner")
    course = await _course(client, user)
    answer = await _suggest(client, user, course["id"])

    assert answer["source"] == "catalog"
    assert answer["language"] == "en"
    goals = answer["goals"]
    assert len(goals) == 5
    by_key = {goal.key: goal for goal in load_catalog()}
    chosen_areas = [by_key[goal["catalog_key"]].area for goal in goals]
    assert set(chosen_areas) <= RELEVANT_AREAS, chosen_areas
    assert chosen_areas.count("fastapi") >= 2, chosen_areas
    for goal in goals:
        criteria = goal["validation_criteria"]["criteria"]
        assert any(isinstance(c, str) for c in criteria) and any(isinstance(c, dict) for c in criteria)
        assert 3 <= len(goal["tasks"]) <= 8
        assert all(task["task_type"] and task["estimated_hours"] > 0 for task in goal["tasks"])
        assert goal["due_date"] is None
    # Nothing is saved by suggesting.
    assert (await client.get(f"{API}/goals", headers=user.headers)).json()["total"] == 0

    response = await client.post(
        f"{API}/courses/{course['id']}/goals/accept", json={"goals": goals[:2]}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    saved = response.json()["goals"]
    assert [goal["title"] for goal in saved] == [goal["title"] for goal in goals[:2]]
    assert all(goal["ai_generated"] and goal["course_id"] == course["id"] for goal in saved)
    assert [len(goal["tasks"]) for goal in saved] == [len(goal["tasks"]) for goal in goals[:2]]
    assert saved[0]["validation_criteria"] == goals[0]["validation_criteria"]
    listed = (await client.get(f"{API}/goals", params={"course_id": course["id"]}, headers=user.headers)).json()
    assert listed["total"] == 2

    types = [event.event_type.value for event in await events_of(app, user.id)]
    assert types.count("ai.goal_suggested") == 1
    assert types.count("goal.created") == 2
    assert types.count("task.created") == sum(len(goal["tasks"]) for goal in goals[:2])

    # Asking again skips what was accepted.
    again = await _suggest(client, user, course["id"])
    assert not {goal["title"] for goal in again["goals"]} & {goal["title"] for goal in saved}


async def test_goals_the_learner_already_has_in_other_words_are_skipped(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await register_and_login(client, "already")
    course = await _course(client, user)
    first = (await _suggest(client, user, course["id"], count=1))["goals"][0]
    catalog_goal = next(goal for goal in load_catalog() if goal.key == first["catalog_key"])
    # The same goal written by hand, in Spanish, without any link to the catalog.
    response = await client.post(
        f"{API}/goals",
        json={"title": catalog_goal.title.es, "description": catalog_goal.description.es},
        headers=user.headers,
    )
    assert response.status_code == 201
    again = await _suggest(client, user, course["id"], count=3)
    assert first["catalog_key"] not in {goal["catalog_key"] for goal in again["goals"]}


async def test_pace_and_deadline_set_due_dates_and_spanish_learners_get_spanish(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await register_and_login(client, "ritmo")
    await _prefer_spanish(app, user.id)
    course = await _course(client, user)
    deadline = date.today() + timedelta(weeks=8)
    answer = await _suggest(
        client, user, course["id"], hours_per_week=5, deadline=deadline.isoformat(), level="beginner"
    )
    assert answer["language"] == "es"
    goals = answer["goals"]
    assert goals
    es_titles = {goal.title.es for goal in load_catalog()}
    assert all(goal["title"] in es_titles for goal in goals)
    due = [datetime.fromisoformat(goal["due_date"]) for goal in goals]
    assert due == sorted(due)
    end_of_deadline = datetime.combine(deadline, datetime.max.time(), tzinfo=UTC)
    assert all(datetime.now(UTC) < moment <= end_of_deadline for moment in due)
    # 8 weeks at 5 hours: about 40 hours of work, so the first goal is due well before the deadline.
    first_hours = goals[0]["estimated_hours"]
    expected_first = datetime.now(UTC) + timedelta(weeks=first_hours / 5)
    assert abs((due[0] - expected_first).total_seconds()) < 120
    assert sum(goal["estimated_hours"] for goal in goals[:-1]) < 40


async def test_bad_inputs_and_other_peoples_courses(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "inputs")
    course = await _course(client, user)
    for body in ({"count": 0}, {"hours_per_week": -1}, {"level": "expert"}, {"deadline": "2000-01-01"}):
        response = await client.post(f"{API}/courses/{course['id']}/goals/suggest", json=body, headers=user.headers)
        assert response.status_code == 422, body
    stranger = await register_and_login(client, "stranger")
    response = await client.post(f"{API}/courses/{course['id']}/goals/suggest", headers=stranger.headers)
    assert response.status_code == 404
    response = await client.post(
        f"{API}/courses/{course['id']}/goals/accept",
        json={"goals": [{"title": "x", "tasks": []}]},
        headers=stranger.headers,
    )
    assert response.status_code == 404
    response = await client.post(f"{API}/courses/{course['id']}/goals/accept", json={"goals": []}, headers=user.headers)
    assert response.status_code == 422


PLAN = {
    "goals": [
        {
            "title": "Autenticación JWT en tu API FastAPI",
            "description": "Proteger los endpoints del curso con tokens JWT.",
            "priority": "high",
            "criteria": ["Los endpoints privados responden 401 sin token", "Los tokens caducan"],
            "checks": [{"check": "imports", "module": "jwt"}, {"check": "defines", "name": "get_current_user"}],
            "tasks": [
                {
                    "title": "Leer sobre JWT",
                    "description": "Claims y firma.",
                    "task_type": "research",
                    "estimated_hours": 1,
                },
                {
                    "title": "Emitir tokens",
                    "description": "Endpoint de login.",
                    "task_type": "code",
                    "estimated_hours": 3,
                },
                {
                    "title": "Probar el login",
                    "description": "Tests con httpx.",
                    "task_type": "testing",
                    "estimated_hours": 2,
                },
            ],
        }
    ]
}


@pytest.fixture
async def llm_client(
    settings: Settings, database_url: str, clean_db: None
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    with openai_stub(Reply(content=json.dumps(PLAN))) as (base_url, state):
        llm_settings = settings.model_copy(update={"llm_base_url": base_url, "llm_model": "stub-planner"})
        application = create_app(llm_settings, database_url)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://test") as http:
            yield http, state
        await application.state.engine.dispose()
        await application.state.read_engine.dispose()


async def test_with_an_llm_the_plan_is_personalized_validated_and_in_the_learners_language(
    app: FastAPI, llm_client: tuple[httpx.AsyncClient, Any]
) -> None:
    client, stub = llm_client
    user = await register_and_login(client, "llmuser")
    await _prefer_spanish(app, user.id)
    course = await _course(client, user)
    answer = await _suggest(client, user, course["id"], focus="seguridad de la API", hours_per_week=4)
    assert answer["source"] == "llm"
    [goal] = answer["goals"]
    assert goal["title"] == "Autenticación JWT en tu API FastAPI"
    assert goal["priority"] == "high"
    assert goal["estimated_hours"] == 6
    assert goal["validation_criteria"]["criteria"] == [
        "Los endpoints privados responden 401 sin token",
        "Los tokens caducan",
        {"check": "imports", "module": "jwt"},
        {"check": "defines", "name": "get_current_user"},
    ]
    assert [task["task_type"] for task in goal["tasks"]] == ["research", "code", "testing"]
    assert goal["due_date"] is not None
    request = stub.requests[0]
    assert "Spanish" in request["messages"][0]["content"]
    brief = json.loads(request["messages"][1]["content"])
    assert brief["course"]["technologies"] == ["Python", "FastAPI", "PostgreSQL"]
    assert brief["focus"] == "seguridad de la API"
    assert request["response_format"]["type"] == "json_schema"
    # The model is grounded on the closest catalog goals, in the learner's language.
    examples = brief["catalog_examples"]
    assert 1 <= len(examples) <= 5
    es_titles = {goal.title.es: goal for goal in load_catalog()}
    assert all(example["title"] in es_titles for example in examples)
    assert any("FastAPI" in es_titles[example["title"]].technologies for example in examples)
    assert all(example["criteria"] and example["tasks"] for example in examples)

    response = await client.post(
        f"{API}/courses/{course['id']}/goals/accept", json={"goals": [goal]}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["goals"][0]["ai_generated"] is True


async def test_an_llm_answer_that_breaks_the_rules_falls_back_to_the_catalog(
    settings: Settings, database_url: str, clean_db: None
) -> None:
    two_tasks = json.loads(json.dumps(PLAN))
    two_tasks["goals"][0]["tasks"] = two_tasks["goals"][0]["tasks"][:2]  # at least three are required
    with openai_stub(Reply(content=json.dumps(two_tasks))) as (base_url, state):
        application = create_app(settings.model_copy(update={"llm_base_url": base_url, "llm_model": "m"}), database_url)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://test") as client:
            user = await register_and_login(client, "fallback")
            course = await _course(client, user)
            answer = await _suggest(client, user, course["id"], count=2)
        await application.state.engine.dispose()
        await application.state.read_engine.dispose()
    assert len(state.requests) == 2  # one correction was asked for
    assert answer["source"] == "catalog"
    assert len(answer["goals"]) == 2
    assert answer["warnings"] and "offline catalog" in answer["warnings"][0]
    async with application.state.sessionmaker() as session:
        [warning] = (await session.scalars(select(Event).where(Event.event_type == EventType.SYSTEM_WARNING))).all()
    assert warning.entity_id == course["id"]
    assert warning.payload["component"] == "planner" and warning.payload["fallback"] == "catalog"
    assert "Plan" in warning.payload["reason"]


async def _course_titled(client: httpx.AsyncClient, user: ApiUser, title: str, description: str) -> dict[str, Any]:
    response = await client.post(
        f"{API}/courses", json={"title": title, "description": description}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    course: dict[str, Any] = response.json()
    return course


async def test_a_course_the_catalog_does_not_cover_gets_no_goals_and_says_why(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "cook")
    course = await _course_titled(
        client, user, "Mediterranean Cooking", "Fresh pasta, paella, olive oil and seasonal vegetables."
    )
    answer = await _suggest(client, user, course["id"], count=5)
    assert answer["goals"] == []
    assert answer["source"] == "catalog" and answer["language"] == "en"
    notice = answer["notice"]
    assert notice.startswith("The offline catalog has no goals close enough to this course.")
    assert "AIGT_LLM_BASE_URL" in notice and "aigt goals create" in notice


async def test_a_spanish_course_without_a_preference_is_answered_in_spanish(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "hispano")
    course = await _course_titled(
        client, user, "Curso de análisis de datos con pandas", "Aprende a limpiar y resumir datos con pandas."
    )
    answer = await _suggest(client, user, course["id"], count=3)
    assert answer["language"] == "es"
    by_title = {goal.title.es: goal for goal in load_catalog()}
    assert [goal["title"] in by_title for goal in answer["goals"]] == [True, True, True]
    assert {by_title[goal["title"]].area for goal in answer["goals"]} <= {"data-analysis", "python", "notebooks"}
    assert answer["notice"] is None
    # A pytest criterion travels with a pandas goal, so the accepted plan is checkable offline.
    criteria = [c for goal in answer["goals"] for c in goal["validation_criteria"]["criteria"] if isinstance(c, dict)]
    assert any(c["check"] == "tests" and c["framework"] == "pytest" and "import" in c["code"] for c in criteria)

    outside = await _course_titled(client, user, "Guitarra acústica nivel inicial", "Acordes básicos y ritmo.")
    empty = await _suggest(client, user, outside["id"])
    assert empty["goals"] == [] and empty["language"] == "es"
    assert empty["notice"].startswith("El catálogo sin conexión no tiene objetivos")


async def test_fewer_goals_than_asked_come_back_with_the_notice(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "fewer")
    await _prefer_spanish(app, user.id)
    course = await _course_titled(
        client, user, "Web Accessibility", "Semantic HTML, ARIA, keyboard navigation and WCAG audits."
    )
    answer = await _suggest(client, user, course["id"], count=10)
    # The learner's preference wins over the course's own language.
    assert answer["language"] == "es"
    found = len(answer["goals"])
    assert 1 <= found < 10
    assert answer["notice"].startswith(f"Solo {found} de los 10 objetivos que pediste")
    by_title = {goal.title.es: goal for goal in load_catalog()}
    assert all(by_title[goal["title"]].area in {"accessibility", "react", "visualization"} for goal in answer["goals"])
