"""Semantic search through the API, with the offline model and the upkeep jobs really running."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text

from ai_goals_tracker.config import OFFLINE_EMBEDDINGS_MODEL
from ai_goals_tracker.events.follower import catch_up
from ai_goals_tracker.models import Embedding
from tests.helpers import API, ApiUser, register_and_login

Drain = Callable[..., Awaitable[None]]

# A learner who writes in both languages: (goal title, description, [tasks]).
GOALS: list[tuple[str, str, list[str]]] = [
    (
        "Construir una API REST con FastAPI",
        "Endpoints CRUD para una lista de tareas con validación de datos mediante Pydantic.",
        ["Definir los modelos Pydantic", "Escribir los endpoints de creación y borrado"],
    ),
    (
        "Aprender a usar Docker",
        "Empaquetar la aplicación en una imagen de contenedor y levantarla con docker compose.",
        ["Escribir el Dockerfile"],
    ),
    (
        "Dominar las consultas SQL con JOIN",
        "Combinar tablas de clientes y pedidos en PostgreSQL con uniones internas y externas.",
        ["Practicar LEFT JOIN sobre la base de ejemplo"],
    ),
    (
        "Escribir pruebas unitarias con pytest",
        "Cubrir las funciones del módulo de facturación con tests y fixtures.",
        ["Configurar pytest en el proyecto"],
    ),
    (
        "Mejorar la seguridad de las contraseñas",
        "Guardar las contraseñas de los usuarios con un hash argon2 en lugar de texto plano.",
        [],
    ),
    (
        "Estudiar algoritmos de ordenación",
        "Implementar quicksort y mergesort y comparar su complejidad temporal.",
        [],
    ),
    (
        "Learn Git branching",
        "Work with feature branches, rebase them onto main and resolve merge conflicts.",
        ["Resolve a merge conflict by hand"],
    ),
    (
        "Build a React front end",
        "Create reusable React components with hooks and state for the shopping cart page.",
        ["Write the cart component"],
    ),
    (
        "Deploy the app to the cloud",
        "Publish the web service on a cloud provider with a CI/CD pipeline that runs on every push.",
        [],
    ),
    (
        "Speed up slow database queries",
        "Find slow queries with EXPLAIN ANALYZE and add the right indexes.",
        [],
    ),
    (
        "Practise regular expressions",
        "Validate email addresses and phone numbers with Python's re module.",
        [],
    ),
    (
        "Write technical documentation",
        "Document the project's architecture and how to install it in the README.",
        [],
    ),
]

# Paraphrases in the other language, and the goal each must find in the top three.
QUERIES = [
    ("web service with FastAPI and data validation", "Construir una API REST con FastAPI"),
    ("put my application inside containers", "Aprender a usar Docker"),
    ("joining customer and order tables in a database", "Dominar las consultas SQL con JOIN"),
    ("testing my code automatically", "Escribir pruebas unitarias con pytest"),
    ("store user passwords safely with hashing", "Mejorar la seguridad de las contraseñas"),
    ("sorting algorithms and their complexity", "Estudiar algoritmos de ordenación"),
    ("resolver conflictos al fusionar ramas", "Learn Git branching"),
    ("componentes de interfaz con React", "Build a React front end"),
    ("publicar la aplicación en la nube con integración continua", "Deploy the app to the cloud"),
    ("consultas lentas e índices de la base de datos", "Speed up slow database queries"),
    ("expresiones regulares para validar correos", "Practise regular expressions"),
    ("documentar la arquitectura del proyecto", "Write technical documentation"),
]


async def _create(client: httpx.AsyncClient, user: ApiUser, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"{API}/{path}", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _search(client: httpx.AsyncClient, user: ApiUser, **params: Any) -> dict[str, Any]:
    response = await client.get(f"{API}/search", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _rows(app: FastAPI, **where: str) -> list[Embedding]:
    async with app.state.sessionmaker() as session:
        query = select(Embedding)
        for column, value in where.items():
            query = query.where(getattr(Embedding, column) == value)
        return list(await session.scalars(query))


async def _queued_embed_jobs(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM procrastinate_jobs WHERE queue_name = 'embeddings' AND status = 'todo'")
        )
        return int(count or 0)


@pytest.fixture
async def bilingual_user(client: httpx.AsyncClient, drain_jobs: Drain) -> tuple[ApiUser, dict[str, str]]:
    user = await register_and_login(client, "bilingue")
    ids: dict[str, str] = {}
    for title, description, tasks in GOALS:
        goal = await _create(client, user, "goals", {"title": title, "description": description})
        ids[title] = goal["id"]
        for task in tasks:
            created = await _create(client, user, "tasks", {"goal_id": goal["id"], "title": task})
            ids[task] = created["id"]
    await drain_jobs(["embeddings"])
    return user, ids


async def test_paraphrases_in_the_other_language_find_the_goal_in_the_top_three(
    bilingual_user: tuple[ApiUser, dict[str, str]], client: httpx.AsyncClient
) -> None:
    user, ids = bilingual_user
    misses = []
    for query, expected in QUERIES:
        body = await _search(client, user, q=query, entity_type="goal", limit=3)
        top = [hit["entity_id"] for hit in body["items"]]
        if ids[expected] not in top:
            misses.append((query, expected, [hit["title"] for hit in body["items"]]))
    assert misses == []


async def test_results_carry_score_title_snippet_and_only_the_callers_items(
    bilingual_user: tuple[ApiUser, dict[str, str]], app: FastAPI, client: httpx.AsyncClient, drain_jobs: Drain
) -> None:
    user, ids = bilingual_user
    assert {row.entity_id for row in await _rows(app, user_id=user.id)} == set(ids.values())
    other = await register_and_login(client, "otra")
    await _create(client, other, "goals", {"title": "Learn Docker", "description": "Containers for my app."})
    await drain_jobs(["embeddings"])

    body = await _search(client, user, q="contenedores docker", limit=5)
    assert body["model"] == OFFLINE_EMBEDDINGS_MODEL
    first = body["items"][0]
    assert first["entity_id"] in {ids["Aprender a usar Docker"], ids["Escribir el Dockerfile"]}
    assert set(first) == {"entity_type", "entity_id", "title", "snippet", "score"}
    assert 0 < first["score"] <= 1
    scores = [hit["score"] for hit in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert len(body["items"]) == 5
    goal_hit = next(hit for hit in body["items"] if hit["entity_id"] == ids["Aprender a usar Docker"])
    assert goal_hit["title"] == "Aprender a usar Docker"
    assert goal_hit["snippet"].startswith("Empaquetar la aplicación")

    other_body = await _search(client, other, q="contenedores docker", limit=50)
    assert [hit["title"] for hit in other_body["items"]] == ["Learn Docker"]

    tasks_only = await _search(client, user, q="Dockerfile", entity_type="task", limit=50)
    assert {hit["entity_type"] for hit in tasks_only["items"]} == {"task"}
    assert len(tasks_only["items"]) == 7


async def test_search_rejects_a_blank_query_and_a_bad_filter(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "blank")
    cases: list[dict[str, str | int]] = [
        {"q": "   "},
        {"q": ""},
        {"q": "x", "entity_type": "user"},
        {"q": "x", "limit": 0},
    ]
    for params in cases:
        response = await client.get(f"{API}/search", params=params, headers=user.headers)
        assert response.status_code == 422, params
    assert (await client.get(f"{API}/search", params={"q": "x"})).status_code == 401


async def test_changes_reembed_only_when_the_text_changes_and_deletions_remove_rows(
    app: FastAPI, client: httpx.AsyncClient, drain_jobs: Drain
) -> None:
    user = await register_and_login(client, "upkeep")
    course = await _create(client, user, "courses", {"title": "Backend", "metadata": {"technologies": ["Go"]}})
    goal = await _create(client, user, "goals", {"title": "Learn goroutines", "course_id": course["id"]})
    task = await _create(client, user, "tasks", {"goal_id": goal["id"], "title": "Write a worker pool"})
    await drain_jobs(["embeddings"])
    [goal_row] = await _rows(app, entity_id=goal["id"])
    assert goal_row.model == OFFLINE_EMBEDDINGS_MODEL
    assert goal_row.content.startswith("Learn goroutines")
    [course_row] = await _rows(app, entity_id=course["id"])
    assert "Technologies: Go" in course_row.content

    # Status and progress change nothing that is embedded: following them queues no job.
    response = await client.patch(f"{API}/tasks/{task['id']}", json={"status": "in_progress"}, headers=user.headers)
    assert response.status_code == 200
    assert await catch_up(app.state.sessionmaker) > 0
    assert await _queued_embed_jobs(app) == 0

    # Two edits of one goal before upkeep runs: one job, which embeds the latest text.
    for title in ("Learn goroutines well", "Learn channels and goroutines"):
        response = await client.patch(f"{API}/goals/{goal['id']}", json={"title": title}, headers=user.headers)
        assert response.status_code == 200
        await catch_up(app.state.sessionmaker)
    assert await _queued_embed_jobs(app) == 1
    await drain_jobs(["embeddings"])
    [renamed] = await _rows(app, entity_id=goal["id"])
    assert renamed.content.startswith("Learn channels and goroutines")
    assert renamed.id != goal_row.id
    body = await _search(client, user, q="concurrencia con canales", entity_type="goal")
    assert body["items"][0]["title"] == "Learn channels and goroutines"

    # Deleting the goal removes its rows, and its task's (deleted by cascade), once upkeep follows it.
    assert (await client.delete(f"{API}/goals/{goal['id']}", headers=user.headers)).status_code == 204
    await catch_up(app.state.sessionmaker)
    assert await _rows(app, entity_id=goal["id"]) == []
    await drain_jobs(["embeddings"])
    assert await _rows(app, entity_id=task["id"]) == []
    assert [row.entity_id for row in await _rows(app, user_id=user.id)] == [course["id"]]
    assert (await _search(client, user, q="goroutines"))["items"][0]["entity_type"] == "course"


async def test_similar_goals_lists_the_owners_closest_other_goals(
    bilingual_user: tuple[ApiUser, dict[str, str]], client: httpx.AsyncClient
) -> None:
    user, ids = bilingual_user
    response = await client.get(f"{API}/goals/{ids['Speed up slow database queries']}/similar", headers=user.headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == 5
    assert ids["Speed up slow database queries"] not in [hit["entity_id"] for hit in items]
    assert {hit["entity_type"] for hit in items} == {"goal"}
    assert items[0]["title"] == "Dominar las consultas SQL con JOIN"

    stranger = await register_and_login(client, "stranger")
    response = await client.get(f"{API}/goals/{ids['Learn Git branching']}/similar", headers=stranger.headers)
    assert response.status_code == 404
