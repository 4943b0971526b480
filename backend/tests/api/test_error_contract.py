"""What the framework refuses on its own (no such path, a method the path does not take, a body it
cannot read) is answered like every other error: on the API in the one error shape, with a `code`,
in the reader's language (the router's 404 and 405: tests/i18n/test_api_language.py); on the
dashboard's paths with the error page."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import API, ApiUser, register_and_login

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}
JSON = {"content-type": "application/json"}


@pytest.fixture
async def ana(client: httpx.AsyncClient) -> ApiUser:
    return await register_and_login(client, "ana")


async def test_a_body_that_is_not_json_is_a_422_with_a_code_in_spanish(client: httpx.AsyncClient, ana: ApiUser) -> None:
    response = await client.post(f"{API}/goals", content=b'{"title": ', headers={**ana.headers, **JSON, **SPANISH})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert [error["msg"] for error in body["detail"]] == ["El cuerpo de la petición no es JSON válido"]


async def test_a_body_that_is_not_utf8_is_a_400_with_a_code_in_the_readers_language(
    client: httpx.AsyncClient, ana: ApiUser
) -> None:
    latin1 = '{"title": "Café"}'.encode("latin-1")

    spanish = await client.post(f"{API}/goals", content=latin1, headers={**ana.headers, **JSON, **SPANISH})
    english = await client.post(f"{API}/goals", content=latin1, headers={**ana.headers, **JSON})

    assert (spanish.status_code, spanish.json()["code"]) == (400, "bad_request")
    assert spanish.json()["detail"].startswith("No se pudo leer el cuerpo de la petición")
    assert english.json() == {
        "detail": "The request body could not be read: it must be JSON (or a form) encoded as UTF-8",
        "code": "bad_request",
    }
    assert (await client.get(f"{API}/goals", headers=ana.headers)).json()["total"] == 0


async def test_a_form_the_framework_cannot_read_is_refused_in_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/auth/login", content=b"x", headers={"content-type": "multipart/form-data", **SPANISH}
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "El formulario es multipart pero no indica ningún boundary",
        "code": "bad_request",
    }


async def test_the_body_limit_answers_with_its_code(client: httpx.AsyncClient, ana: ApiUser) -> None:
    response = await client.post(f"{API}/goals", content=b"{" * (3 * 1024 * 1024), headers={**ana.headers, **JSON})

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 2048 KB", "code": "payload_too_large"}


@pytest.mark.parametrize(
    ("method", "path", "status", "spanish_text"),
    [
        ("GET", "/nothing-here", 404, "No encontrado"),
        ("GET", "/static/nothing-here.css", 404, "No encontrado"),
        ("DELETE", "/login", 405, "Método no permitido"),
    ],
)
async def test_dashboard_paths_answer_with_the_error_page(
    client: httpx.AsyncClient, method: str, path: str, status: int, spanish_text: str
) -> None:
    response = await client.request(method, path, headers=SPANISH)

    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert spanish_text in response.text
    assert '<html lang="es"' in response.text
