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
from ai_goals_tracker.web.security import API_DOCS_CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY
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

    @application.get(f"{API}/probe/bug")
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
        bug = await client.get(f"{API}/probe/bug")
        page_bug = await client.get("/probe/bug")
        static = await client.get("/static/app.css")

    assert [response.status_code for response in answers] == [200, 404, 422, 404, 405, 413, 200, 303, 200, 404]
    for response in [*answers, bug, page_bug]:
        assert_secured(response)
    assert bug.status_code == 500
    assert bug.json() == {"detail": "Something went wrong on the server; it has been logged", "code": "internal_error"}
    # On the dashboard's paths the same failure is a page.
    assert page_bug.status_code == 500
    assert "Something went wrong on the server; it has been logged" in page_bug.text
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
    assert "Too many fields: a form may have at most 1000" in too_many.text
    assert "The form is multipart but names no boundary" in no_boundary.text


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


def multipart(fields: dict[str, bytes], boundary: str = "aigt-boundary") -> tuple[bytes, dict[str, str]]:
    """A multipart form written byte for byte, as a client that is not a browser could send it."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
        for name, value in fields.items()
    ]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


async def test_a_form_whose_text_is_not_utf8_is_refused_and_nothing_is_stored(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "latin")
    await web_login(client, "latin")
    token = await csrf_of(client, "/")
    urlencoded = f"csrf_token={token}&title=Caf%E9".encode()
    form_data, form_headers = multipart({"csrf_token": token.encode(), "title": "Café".encode("latin-1")})
    # UTF-8 bytes, but a declared charset Starlette would read them in.
    declared, declared_headers = multipart({"csrf_token": token.encode(), "title": "Café".encode()})
    declared_headers["content-type"] += "; charset=latin-1"

    answers = [
        await client.post(
            "/courses", content=urlencoded, headers={"content-type": "application/x-www-form-urlencoded"}
        ),
        await client.post("/courses", content=form_data, headers=form_headers),
        await client.post("/courses", content=declared, headers=declared_headers),
    ]

    for response in answers:
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("text/html")
        assert "The form&#39;s text is not valid UTF-8, so nothing was saved" in response.text
        assert_secured(response)
    assert (await client.get(f"{API}/courses", headers=user.headers)).json()["total"] == 0


async def test_a_form_in_utf8_keeps_its_text_exactly(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "utf8")
    await web_login(client, "utf8")
    token = await csrf_of(client, "/")
    form_data, form_headers = multipart({"csrf_token": token.encode(), "title": "Café ☕ \ufffd".encode()})

    urlencoded = await client.post("/courses", data={"csrf_token": token, "title": "Niño ☕"})
    multipart_form = await client.post("/courses", content=form_data, headers=form_headers)

    assert (urlencoded.status_code, multipart_form.status_code) == (303, 303)
    titles = {course["title"] for course in (await client.get(f"{API}/courses", headers=user.headers)).json()["items"]}
    assert titles == {"Niño ☕", "Café ☕ \ufffd"}


def cookie_flags(response: httpx.Response) -> dict[str, set[str]]:
    """Each cookie the response sets (or deletes), with its attributes in lower case."""
    flags = {}
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        flags[name] = {part.strip().lower() for part in rest.split(";")[1:]}
    return flags


@pytest.mark.parametrize("scheme", ["https", "http"])
async def test_every_cookie_of_the_dashboard_is_httponly_samesite_and_secure_over_https(
    app: FastAPI, clean_db: None, scheme: str
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://test") as client:
        await register_and_login(client, "cookies")
        login_page = await client.get("/login")
        signed_in = await web_login(client, "cookies")
        switched = await client.post("/language", data={"csrf_token": await csrf_of(client, "/"), "language": "es"})
        shown = await client.get("/")
        signed_out = await client.post("/logout", data={"csrf_token": await csrf_of(client, "/")})
        flash_shown = await client.get("/login")

    seen: dict[str, set[str]] = {}
    for response in (login_page, signed_in, switched, shown, signed_out, flash_shown):
        for name, flags in cookie_flags(response).items():
            seen.setdefault(name, set()).update(flags)
            assert "httponly" in flags, (name, flags)
            assert flags & {"samesite=lax", "samesite=strict"}, (name, flags)
            assert ("secure" in flags) == (scheme == "https"), (name, flags)
    assert set(seen) == {"aigt_csrf", "aigt_session", "aigt_lang", "aigt_flash"}


async def test_the_api_docs_are_served_from_this_origin_under_a_policy(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")

    assert page.status_code == 200
    assert page.headers["content-security-policy"] == API_DOCS_CONTENT_SECURITY_POLICY
    assert "unsafe" not in API_DOCS_CONTENT_SECURITY_POLICY
    files = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(files) == 4
    for path in files:
        assert path.startswith("/") and not path.startswith("//"), path
        assert (await client.get(path)).status_code == 200, path
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "AI Goals Tracker"
    assert (await client.get("/redoc")).status_code == 404
    # Only what the page loads: not the package's demo page, which points at another origin's API.
    assert (await client.get("/docs/assets/index.html")).status_code == 404
    assert (await client.get("/docs/assets/swagger-initializer.js")).status_code == 404
