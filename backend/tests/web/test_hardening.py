"""What an attacker probing the server over HTTP finds: the security headers on every answer (errors,
static files and bugs included), forms that cannot be read answered as pages, no way out of the site
through `next`, and no session an attacker planted surviving a login."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from ai_goals_tracker.config import Settings
from ai_goals_tracker.main import MAX_REQUEST_BODY_BYTES
from ai_goals_tracker.web.routing import WebRoute
from ai_goals_tracker.web.security import CONTENT_SECURITY_POLICY
from tests.helpers import API, PASSWORD, bearer, register_and_login
from tests.web.helpers import csrf_of, signed_in_with_a_task, web_login

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "content-security-policy": CONTENT_SECURITY_POLICY,
}


def assert_secured(response: httpx.Response, cache: str = "no-store") -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (where, name)
    assert response.headers.get("cache-control") == cache, where


@pytest.fixture
async def buggy(settings: Settings, database_url: str, clean_db: None) -> AsyncIterator[FastAPI]:
    """The app with one route that fails as a bug would."""
    from ai_goals_tracker.main import create_app

    application = create_app(settings, database_url)

    @application.get("/probe/bug")
    async def bug() -> None:
        raise RuntimeError("a bug")

    yield application
    await application.state.engine.dispose()
    await application.state.read_engine.dispose()


async def test_every_kind_of_answer_carries_the_security_headers(buggy: FastAPI) -> None:
    transport = httpx.ASGITransport(app=buggy, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        user = await register_and_login(client, "probed")
        answers = [
            await client.get(f"{API}/users/me", headers=user.headers),
            await client.get(f"{API}/goals/gol_missing", headers=user.headers),
            await client.get(f"{API}/goals?limit=100000", headers=user.headers),
            await client.get(f"{API}/no/such/path"),
            await client.delete("/health"),
            await client.post(f"{API}/goals", content=b"{" * (3 * 1024 * 1024), headers=user.headers),
            await client.get("/login"),
            await client.get("/"),
        ]
        await web_login(client, "probed")
        answers += [await client.get("/"), await client.get("/goals/gol_missing")]
        bug = await client.get("/probe/bug")
        static = await client.get("/static/app.css")

    assert [response.status_code for response in answers] == [200, 404, 422, 404, 405, 413, 200, 303, 200, 404]
    for response in [*answers, bug]:
        assert_secured(response)
    assert bug.status_code == 500
    assert bug.json() == {"detail": "Something went wrong on the server; it has been logged", "code": "internal_error"}
    # The dashboard's own style is the same for everyone: cached, and revalidated by its ETag.
    assert static.status_code == 200
    assert_secured(static, cache="no-cache")


async def test_a_form_that_cannot_be_read_is_answered_with_a_page(client: httpx.AsyncClient) -> None:
    await register_and_login(client, "unreadable")
    await web_login(client, "unreadable")
    token = await csrf_of(client, "/")

    too_many = await client.post("/courses", data={"csrf_token": token, **{f"f{n}": "x" for n in range(1500)}})
    no_boundary = await client.post("/courses", content=b"x", headers={"content-type": "multipart/form-data"})

    for response in (too_many, no_boundary):
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("text/html")
        assert_secured(response)
    assert "Too many fields" in too_many.text
    assert "Missing boundary" in no_boundary.text


@pytest.mark.parametrize("target", ["/\t/attacker.example", "/\n/attacker.example", "//attacker.example", "/\\x"])
async def test_login_never_leads_to_another_site(client: httpx.AsyncClient, target: str) -> None:
    await register_and_login(client, "redirected")
    form = (await client.get("/login", params={"next": target})).text
    assert re.search(r'name="next" value="/"', form), form

    token = await csrf_of(client, "/login")
    signed_in = await client.post(
        "/login", data={"csrf_token": token, "username": "redirected", "password": PASSWORD, "next": target}
    )

    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/"


async def test_a_session_planted_before_login_does_not_survive_it(client: httpx.AsyncClient) -> None:
    """Session fixation: a session cookie planted in the victim's browser (here one the attacker
    signed out of) is never adopted: the victim's login issues a session of its own, which the
    attacker cannot know, and the planted one stays dead."""
    await register_and_login(client, "attacker")
    await web_login(client, "attacker")
    planted = client.cookies["aigt_session"]
    await client.post("/logout", data={"csrf_token": await csrf_of(client, "/")})
    await register_and_login(client, "victim")
    client.cookies.set("aigt_session", planted, domain="test.local")

    await web_login(client, "victim")

    issued = client.cookies.get("aigt_session", domain="test.local")
    assert issued != planted
    assert (await client.get(f"{API}/users/me", headers=bearer(issued))).json()["username"] == "victim"
    assert (await client.get(f"{API}/users/me", headers=bearer(planted))).status_code == 401


async def test_an_upload_over_the_body_limit_goes_back_to_its_form_with_the_reason(client: httpx.AsyncClient) -> None:
    user, page = await signed_in_with_a_task(client, "uploader")

    response = await client.post(
        f"{page}/snapshots",
        data={"csrf_token": await csrf_of(client, page)},
        files={"upload": ("big.py", b"x = 1\n" * (MAX_REQUEST_BODY_BYTES // 6 + 1))},
        headers={"referer": page},
    )

    assert response.status_code == 303
    assert response.headers["location"] == page
    assert "The request body is larger than 2048 KB" in (await client.get(page)).text
    assert (await client.get(f"{API}{page}/snapshots", headers=user.headers)).json()["total"] == 0


async def test_every_dashboard_form_refuses_a_request_without_its_token(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Every state-changing dashboard route, present and future: a forged form changes nothing."""
    user = await register_and_login(client, "forged")
    await web_login(client, "forged")
    posts = sorted(
        {
            context.original_route.path
            for context in iter_route_contexts(app.routes)
            if isinstance(context.original_route, WebRoute) and "POST" in context.original_route.methods
        }
    )
    assert len(posts) >= 10

    for path in posts:
        target = re.sub(r"\{[a-z_]+\}", "id_that_does_not_matter", path)
        missing = await client.post(target, data={"title": "Forged", "status": "skipped", "language": "es"})
        wrong = await client.post(target, data={"title": "Forged", "csrf_token": "0" * 64})
        for response in (missing, wrong):
            assert response.status_code == 403, (path, response.status_code)
            assert "did not come from this site" in response.text, path

    assert (await client.get(f"{API}/courses", headers=user.headers)).json()["total"] == 0
    assert (await client.get(f"{API}/users/me", headers=user.headers)).json()["metadata"] == {}
    assert (await client.get("/")).status_code == 200
