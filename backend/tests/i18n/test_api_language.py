"""The API answers errors in the caller's language: their preference once signed in, the
`Accept-Language` header before; codes, field names and the allowed statuses stay as they are."""

from __future__ import annotations

import httpx

from tests.helpers import API, ApiUser, register_and_login

SPANISH = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}


async def spanish_learner(client: httpx.AsyncClient, username: str) -> ApiUser:
    user = await register_and_login(client, username)
    answer = await client.patch(
        f"{API}/users/me", json={"metadata": {"preferences": {"language": "es"}}}, headers=user.headers
    )
    assert answer.status_code == 200, answer.text
    return user


async def a_task(client: httpx.AsyncClient, user: ApiUser) -> str:
    goal = (await client.post(f"{API}/goals", json={"title": "Aprender"}, headers=user.headers)).json()
    task = await client.post(f"{API}/tasks", json={"goal_id": goal["id"], "title": "Leer"}, headers=user.headers)
    task_id: str = task.json()["id"]
    return task_id


async def test_an_illegal_transition_is_explained_in_the_learners_language(client: httpx.AsyncClient) -> None:
    user = await spanish_learner(client, "lucia")
    task_id = await a_task(client, user)

    answer = await client.patch(f"{API}/tasks/{task_id}", json={"status": "completed"}, headers=user.headers)

    assert answer.status_code == 409
    body = answer.json()
    assert body["detail"] == "Una tarea no puede pasar de todo a completed; desde todo se permite: in_progress, skipped"
    assert body["code"] == "illegal_transition"
    assert body["allowed"] == ["in_progress", "skipped"]


async def test_the_review_rule_is_explained_in_the_learners_language(client: httpx.AsyncClient) -> None:
    user = await spanish_learner(client, "irene")
    task_id = await a_task(client, user)

    answer = await client.post(f"{API}/tasks/{task_id}/move", json={"status": "completed"}, headers=user.headers)

    assert answer.status_code == 409
    assert answer.json() == {
        "detail": "Una tarea de código se completa con una revisión aprobada de su código: envía el código a revisión",
        "code": "review_required",
        "current": "todo",
        "task_type": "code",
    }
    task = await client.get(f"{API}/tasks/{task_id}", headers=user.headers)
    assert task.json()["status"] == "todo"


async def test_the_preference_wins_over_the_browsers_language(client: httpx.AsyncClient) -> None:
    user = await spanish_learner(client, "marta")
    english_browser = {**user.headers, "Accept-Language": "en-GB,en"}

    answer = await client.get(f"{API}/goals/gol_missing", headers=english_browser)

    assert answer.status_code == 404
    assert answer.json() == {"detail": "No se ha encontrado el objetivo", "code": "not_found"}


async def test_without_a_preference_the_header_decides_and_english_is_the_fallback(
    client: httpx.AsyncClient,
) -> None:
    user = await register_and_login(client, "neutral")

    spanish = await client.get(f"{API}/tasks/tsk_missing", headers={**user.headers, **SPANISH})
    german = await client.get(f"{API}/tasks/tsk_missing", headers={**user.headers, "Accept-Language": "de"})

    assert spanish.json()["detail"] == "No se ha encontrado la tarea"
    assert german.json()["detail"] == "Task not found"


async def test_before_login_the_header_decides(client: httpx.AsyncClient) -> None:
    await register_and_login(client, "pablo")

    wrong = await client.post(f"{API}/auth/login", data={"username": "pablo", "password": "no"}, headers=SPANISH)
    taken = await client.post(
        f"{API}/auth/register",
        json={"email": "otra@example.com", "username": "pablo", "password": "una frase bastante larga"},
        headers=SPANISH,
    )

    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "Usuario o contraseña incorrectos"
    assert taken.status_code == 409
    assert taken.json() == {"detail": "Ya existe un usuario con este username", "code": "conflict", "field": "username"}


async def test_field_messages_are_translated_and_fields_keep_their_names(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        f"{API}/auth/register", json={"email": "x@example.com", "username": "ab", "password": "corta"}, headers=SPANISH
    )

    assert answer.status_code == 422
    errors = {tuple(error["loc"]): error for error in answer.json()["detail"]}
    assert errors[("body", "username")]["msg"] == "Debe tener al menos 3 caracteres"
    assert errors[("body", "username")]["type"] == "string_too_short"
    assert errors[("body", "password")]["msg"] == "Debe tener al menos 10 caracteres"


async def test_a_validators_own_message_is_translated(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        f"{API}/auth/register",
        json={"email": "y@example.com", "username": "yolandita1", "password": "yolandita1"},
        headers=SPANISH,
    )
    weak = await client.post(
        f"{API}/auth/register",
        json={"email": "z@example.com", "username": "zoe", "password": "password123"},
        headers=SPANISH,
    )

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["msg"] == "la contraseña no puede ser igual al nombre de usuario ni al correo"
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["msg"].startswith("la contraseña es demasiado fácil de adivinar")


async def test_english_answers_are_unchanged(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "oliver")
    task_id = await a_task(client, user)

    answer = await client.patch(f"{API}/tasks/{task_id}", json={"status": "completed"}, headers=user.headers)
    short = await client.post(
        f"{API}/auth/register", json={"email": "o@example.com", "username": "ab", "password": "x" * 12}
    )

    assert answer.json()["detail"] == "A task cannot go from todo to completed; allowed from todo: in_progress, skipped"
    assert short.json()["detail"][0]["msg"] == "String should have at least 3 characters"


async def test_the_routers_own_answers_are_translated_too(client: httpx.AsyncClient) -> None:
    spanish = await client.get(f"{API}/nothing-here", headers=SPANISH)
    english = await client.get(f"{API}/nothing-here")
    wrong_method = await client.put(f"{API}/stats/me", headers=SPANISH)

    assert (spanish.status_code, spanish.json()) == (404, {"detail": "No encontrado", "code": "not_found"})
    assert english.json() == {"detail": "Not Found", "code": "not_found"}
    assert (wrong_method.status_code, wrong_method.json()) == (
        405,
        {"detail": "Método no permitido", "code": "method_not_allowed"},
    )
    assert wrong_method.headers["allow"] == "GET"
