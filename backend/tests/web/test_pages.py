"""The dashboard over HTTP: security headers, CSRF, the session cookie bound to the API's session,
the login rate limit, ownership, language, and what the review page shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update

from ai_goals_tracker.config import Settings
from ai_goals_tracker.models import CodeSnapshot, LoginAttempt, User
from tests.helpers import API, PASSWORD, bearer, register_and_login
from tests.snapshots.helpers import run_reviews
from tests.web.helpers import csrf_of, web_login

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "ai_goals_tracker" / "web" / "templates"


async def test_pages_forbid_inline_script_and_other_origins(client: httpx.AsyncClient) -> None:
    await register_and_login(client, "csp")
    pages = [await client.get("/login"), await client.get("/register")]
    await web_login(client, "csp")
    pages += [await client.get(path) for path in ("/", "/stats", "/search?q=python")]
    for response in pages:
        path = response.url.path
        assert response.status_code == 200, (path, response.text)
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        html = response.text
        assert re.search(r"<script(?![^>]*\bsrc=)", html) is None, path
        assert re.search(r"\s(on[a-z]+|style)=", html) is None, path
        assert re.search(r"(src|href|action)=\"(https?:)?//", html) is None, path


async def test_signed_out_pages_lead_to_the_login_form(client: httpx.AsyncClient) -> None:
    response = await client.get("/stats")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/stats"
    form = (await client.get("/login")).text
    assert 'name="username"' in form
    assert 'name="password"' in form
    assert 'href="/register"' in form


async def test_forms_without_the_page_token_change_nothing(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "csrf")
    stale = await csrf_of(client, "/login")
    await web_login(client, "csrf")

    missing = await client.post("/courses", data={"title": "Forged"})
    from_before_login = await client.post("/courses", data={"title": "Forged", "csrf_token": stale})

    assert (missing.status_code, from_before_login.status_code) == (403, 403)
    assert "did not come from this site" in missing.text
    courses = (await client.get(f"{API}/courses", headers=user.headers)).json()
    assert courses["total"] == 0
    created = await client.post("/courses", data={"title": "Real", "csrf_token": await csrf_of(client, "/")})
    assert created.status_code == 303
    assert (await client.get(f"{API}/courses", headers=user.headers)).json()["total"] == 1


async def test_the_session_cookie_is_http_only_lax_and_secure_behind_https(app: FastAPI, clean_db: None) -> None:
    for base_url, secure in (("http://test", False), ("https://test", True)):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as http:
            await register_and_login(http, f"cookie{int(secure)}")
            cookie = next(
                value
                for value in (await web_login(http, f"cookie{int(secure)}")).headers.get_list("set-cookie")
                if value.startswith("aigt_session=")
            )
            attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
            assert {"httponly", "samesite", "path"} <= attributes
            assert "samesite=lax" in cookie.lower()
            assert ("secure" in attributes) is secure


async def test_signing_out_of_the_dashboard_ends_the_server_side_session(client: httpx.AsyncClient) -> None:
    await register_and_login(client, "leaver")
    await web_login(client, "leaver")
    token = client.cookies["aigt_session"]
    # The cookie names the same server-side session the API checks.
    assert (await client.get(f"{API}/users/me", headers=bearer(token))).status_code == 200

    response = await client.post("/logout", data={"csrf_token": await csrf_of(client, "/")})

    assert response.status_code == 303
    assert (await client.get(f"{API}/users/me", headers=bearer(token))).status_code == 401
    client.cookies.set("aigt_session", token)
    assert (await client.get("/")).headers["location"] == "/login?next=/"


async def test_revoking_sessions_through_the_api_ends_the_dashboard_session(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "revoked")
    await web_login(client, "revoked")
    assert (await client.get("/")).status_code == 200

    changed = await client.patch(
        f"{API}/users/me",
        json={"password": "another long password", "current_password": PASSWORD},
        headers=user.headers,
    )

    assert changed.status_code == 200, changed.text
    assert (await client.get("/")).headers["location"] == "/login?next=/"


async def test_dashboard_logins_count_toward_the_api_rate_limit(client: httpx.AsyncClient, settings: Settings) -> None:
    await register_and_login(client, "guessed")
    for _ in range(settings.login_attempts_per_minute):
        refused = await client.post(f"{API}/auth/login", data={"username": "guessed", "password": "wrong password"})
        assert refused.status_code == 401
    token = await csrf_of(client, "/login")

    last = await client.post("/login", data={"csrf_token": token, "username": "guessed", "password": PASSWORD})

    assert last.status_code == 429
    assert "Too many login attempts; try again in" in last.text
    assert "aigt_session" not in last.headers.get("set-cookie", "")


async def test_another_learners_goal_answers_404(client: httpx.AsyncClient) -> None:
    owner = await register_and_login(client, "owner")
    goal = (await client.post(f"{API}/goals", json={"title": "Private"}, headers=owner.headers)).json()
    await register_and_login(client, "stranger")
    await web_login(client, "stranger")

    response = await client.get(f"/goals/{goal['id']}")

    assert response.status_code == 404
    assert "Not found" in response.text
    assert "Private" not in response.text


async def test_the_language_follows_the_preference_and_the_switch_saves_it(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "bilingue")
    metadata = {"preferences": {"language": "es", "theme": "dark"}, "team": "azul"}
    await client.patch(f"{API}/users/me", json={"metadata": metadata}, headers=user.headers)
    await web_login(client, "bilingue")

    home = await client.get("/")
    assert '<html lang="es">' in home.text
    assert "Próximas tareas" in home.text

    switched = await client.post(
        "/language", data={"language": "en", "csrf_token": await csrf_of(client, "/")}, headers={"referer": "/stats"}
    )

    assert switched.headers["location"] == "/stats"
    me = (await client.get(f"{API}/users/me", headers=user.headers)).json()
    assert me["metadata"] == {"preferences": {"language": "en", "theme": "dark"}, "team": "azul"}
    assert "Next tasks" in (await client.get("/")).text


async def test_an_illegal_task_change_shows_the_api_message(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "lifecycle")
    goal = (await client.post(f"{API}/goals", json={"title": "G"}, headers=user.headers)).json()
    task = (await client.post(f"{API}/tasks", json={"goal_id": goal["id"], "title": "T"}, headers=user.headers)).json()
    await web_login(client, "lifecycle")
    page = f"/tasks/{task['id']}"

    response = await client.post(
        f"{page}/status",
        data={"status": "completed", "csrf_token": await csrf_of(client, page)},
        headers={"referer": page},
    )

    assert response.headers["location"] == page
    shown = (await client.get(page)).text
    assert "A code task is completed by a passing review of its code: submit the code for review" in shown
    assert (await client.get(f"{API}/tasks/{task['id']}", headers=user.headers)).json()["status"] == "todo"

    notes = {"goal_id": goal["id"], "title": "Notes", "task_type": "documentation"}
    done = (await client.post(f"{API}/tasks", json=notes, headers=user.headers)).json()
    page = f"/tasks/{done['id']}"
    for status in ("completed", "skipped"):
        await client.post(
            f"{page}/status",
            data={"status": status, "csrf_token": await csrf_of(client, page)},
            headers={"referer": page},
        )
    shown = (await client.get(page)).text
    assert "A task cannot go from completed to skipped; allowed from completed: none (final state)" in shown
    assert (await client.get(f"{API}/tasks/{done['id']}", headers=user.headers)).json()["status"] == "completed"


async def test_the_review_page_highlights_and_links_the_reported_lines(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "reviewed")
    goal = (await client.post(f"{API}/goals", json={"title": "G"}, headers=user.headers)).json()
    task = (await client.post(f"{API}/tasks", json={"goal_id": goal["id"], "title": "T"}, headers=user.headers)).json()
    await web_login(client, "reviewed")
    page = f"/tasks/{task['id']}"
    code = "import os\n\n\ndef run(name):\n    return eval(name)\n"

    submitted = await client.post(
        f"{page}/snapshots", data={"file_path": "run.py", "code": code, "csrf_token": await csrf_of(client, page)}
    )
    review_path = submitted.headers["location"]
    pending = (await client.get(review_path)).text
    assert "Review pending" in pending
    assert f'data-review-state="{review_path}/state"' in pending
    assert (await client.get(f"{review_path}/state")).json() == {"state": "pending"}

    await run_reviews(settings, database_url)

    html = (await client.get(review_path)).text
    assert "Failed" in html
    assert re.search(r'<tr id="L5" class="hl sev-(critical|major)">', html)
    assert '<tr id="L4">' in html
    assert '<a href="#L5">Line 5</a>' in html
    assert "`eval`" not in html and "<code>eval</code>" in html
    assert (await client.get(f"{review_path}/state")).json() == {"state": "failed"}


async def test_a_review_that_could_not_judge_the_code_shows_as_not_reviewed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    user = await register_and_login(client, "unjudged")
    goal = (await client.post(f"{API}/goals", json={"title": "G"}, headers=user.headers)).json()
    task = (await client.post(f"{API}/tasks", json={"goal_id": goal["id"], "title": "T"}, headers=user.headers)).json()
    snapshot = (
        await client.post(
            f"{API}/tasks/{task['id']}/snapshots",
            json={"file_path": "a.py", "code_content": "x = 1\n"},
            headers=user.headers,
        )
    ).json()
    # A finished review that stored no verdict: an analyzer could not run.
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(CodeSnapshot)
            .where(CodeSnapshot.id == snapshot["id"])
            .values(meta={"review": {"validated_at": "2026-01-01T00:00:00+00:00", "criteria": []}})
        )
        await session.commit()
    await web_login(client, "unjudged")

    html = (await client.get(f"/reviews/{snapshot['id']}")).text

    assert "Not reviewed" in html
    assert "neither passed nor failed" in html
    assert "data-review-state" not in html


async def test_code_can_be_submitted_as_an_uploaded_file(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "uploader")
    goal = (await client.post(f"{API}/goals", json={"title": "G"}, headers=user.headers)).json()
    task = (await client.post(f"{API}/tasks", json={"goal_id": goal["id"], "title": "T"}, headers=user.headers)).json()
    await web_login(client, "uploader")
    page = f"/tasks/{task['id']}"
    token = await csrf_of(client, page)

    binary = await client.post(
        f"{page}/snapshots",
        data={"csrf_token": token},
        files={"upload": ("blob.bin", b"\xff\xfe\x00", "application/x")},
        headers={"referer": page},
    )
    uploaded = await client.post(
        f"{page}/snapshots",
        data={"csrf_token": token},
        files={"upload": ("calc.py", b"def double(x):\n    return 2 * x\n")},
    )

    assert binary.headers["location"] == page
    assert "The uploaded file is not UTF-8 text." in (await client.get(page)).text
    snapshot_id = uploaded.headers["location"].rsplit("/", 1)[1]
    snapshot = (await client.get(f"{API}/snapshots/{snapshot_id}", headers=user.headers)).json()
    assert (snapshot["file_path"], snapshot["code_content"]) == ("calc.py", "def double(x):\n    return 2 * x\n")
    assert (await client.get(f"{API}/tasks/{task['id']}", headers=user.headers)).json()["status"] == "in_review"


async def test_a_completion_shows_on_the_stats_and_home_pages_at_once(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "finisher")
    goal = (await client.post(f"{API}/goals", json={"title": "G"}, headers=user.headers)).json()
    fields = {"goal_id": goal["id"], "title": "T", "task_type": "research"}
    task = (await client.post(f"{API}/tasks", json=fields, headers=user.headers)).json()
    for status in ("in_progress", "in_review"):
        await client.patch(f"{API}/tasks/{task['id']}", json={"status": status}, headers=user.headers)
    await web_login(client, "finisher")
    year, week, _ = datetime.now(UTC).date().isocalendar()
    this_week = f"{year}-W{week:02d}"
    before = (await client.get("/stats")).text
    events_before = _heatmap_events((await client.get("/")).text)
    assert "0 tasks completed in the last 12 weeks" in before
    assert f"{this_week}: 0 completed" in before

    page = f"/tasks/{task['id']}"
    done = await client.post(
        f"{page}/status",
        data={"status": "completed", "csrf_token": await csrf_of(client, page)},
        headers={"referer": page},
    )
    assert done.status_code == 303

    after = (await client.get("/stats")).text
    assert "1 tasks completed in the last 12 weeks" in after
    assert f"{this_week}: 1 completed" in after
    assert _heatmap_events((await client.get("/")).text) > events_before


def _heatmap_events(html: str) -> int:
    match = re.search(r"Activity over the last year: (\d+) events", html)
    assert match is not None
    return int(match.group(1))


async def test_a_refused_dashboard_login_keeps_nothing_it_did(client: httpx.AsyncClient, app: FastAPI) -> None:
    """A deactivated account's right password is refused on the page as by the API, and, as there,
    the refused attempt still counts toward the rate limit: the refusal rolled back its discount."""
    user = await register_and_login(client, "retired")
    async with app.state.sessionmaker() as session:
        await session.execute(update(User).where(User.id == user.id).values(is_active=False))
        await session.commit()
    token = await csrf_of(client, "/login")

    web = await client.post("/login", data={"csrf_token": token, "username": "retired", "password": PASSWORD})
    api = await client.post(f"{API}/auth/login", data={"username": "retired", "password": PASSWORD})

    assert (web.status_code, api.status_code) == (403, 403)
    assert "aigt_session" not in web.headers.get("set-cookie", "")
    async with app.state.sessionmaker() as session:
        counted = await session.scalar(
            select(func.count()).select_from(LoginAttempt).where(LoginAttempt.account == user.id)
        )
    assert counted == 2


async def test_code_tasks_offer_submitting_code_instead_of_completing(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "buttons")
    goal = (await client.post(f"{API}/goals", json={"title": "G"}, headers=user.headers)).json()
    code = {"goal_id": goal["id"], "title": "Parser"}
    notes = {"goal_id": goal["id"], "title": "Notes", "task_type": "documentation"}
    code_task = (await client.post(f"{API}/tasks", json=code, headers=user.headers)).json()
    (await client.post(f"{API}/tasks", json=notes, headers=user.headers)).json()
    await web_login(client, "buttons")

    for page in (f"/goals/{goal['id']}", f"/tasks/{code_task['id']}"):
        html = (await client.get(page)).text
        assert 'aria-label="Complete: Parser"' not in html, page
        link = f'href="/tasks/{code_task["id"]}#submit-title" aria-label="Submit code: Parser"'
        assert link in " ".join(html.split()), page
    goal_page = (await client.get(f"/goals/{goal['id']}")).text
    assert 'aria-label="Complete: Notes"' in goal_page
    assert 'aria-label="Submit code: Notes"' not in goal_page


async def test_a_criterion_waiting_for_the_learner_is_confirmed_from_the_review_page(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "judging")
    criteria = ["add returns the sum of both numbers", {"check": "defines", "name": "add"}]
    body = {"title": "Sums", "validation_criteria": {"criteria": criteria}}
    goal = (await client.post(f"{API}/goals", json=body, headers=user.headers)).json()
    task = (await client.post(f"{API}/tasks", json={"goal_id": goal["id"], "title": "T"}, headers=user.headers)).json()
    code = "def add(a: int, b: int) -> int:\n    return a + b\n"
    snapshot = (
        await client.post(
            f"{API}/tasks/{task['id']}/snapshots",
            json={"file_path": "add.py", "code_content": code},
            headers=user.headers,
        )
    ).json()
    await run_reviews(settings, database_url)
    await web_login(client, "judging")
    review_path = f"/reviews/{snapshot['id']}"

    html = (await client.get(review_path)).text
    assert "Awaiting your judgement" in html
    assert "some criteria cannot be decided by a check" in html
    assert f'action="{review_path}/criteria/0/judgement"' in html
    assert f'action="{review_path}/criteria/1/judgement"' not in html
    assert "Confirm: it is met" in html and "Reject: not met" in html
    assert '<span class="badge decided decided-check">Checked</span>' in html
    assert (await client.get(f"{review_path}/state")).json() == {"state": "awaiting_judgement"}
    goal_html = (await client.get(f"/goals/{goal['id']}")).text
    assert "Waits for your judgement" in goal_html
    assert '<span class="badge decided decided-waiting">Awaiting your judgement</span>' in goal_html
    assert f'action="{review_path}/criteria/0/judgement"' in goal_html

    token = await csrf_of(client, review_path)
    without_token = await client.post(f"{review_path}/criteria/0/judgement", data={"met": "true"})
    assert without_token.status_code == 403
    confirmed = await client.post(
        f"{review_path}/criteria/0/judgement",
        data={"csrf_token": token, "met": "true", "note": "tried 2 + 3"},
        headers={"referer": review_path},
    )
    assert confirmed.status_code == 303, confirmed.text

    html = (await client.get(review_path)).text
    assert "every criterion is decided and the review passed" in html
    assert "Passed" in html
    assert '<span class="badge decided decided-learner-met">Confirmed by you</span>' in html
    assert "Note: tried 2 + 3" in html
    assert "/judgement" not in html
    assert (await client.get(f"{API}/tasks/{task['id']}", headers=user.headers)).json()["status"] == "completed"
    goal_html = (await client.get(f"/goals/{goal['id']}")).text
    assert "Confirmed by you" in goal_html and "Checked" in goal_html
    assert '<span class="badge decided decided-learner">Judged by you</span>' in goal_html
    assert "1 completed task(s) passed with a criterion you or the goal&#39;s owner confirmed" in goal_html
    assert "Judged by you" in (await client.get(f"/tasks/{task['id']}")).text
    assert "/judgement" not in goal_html


async def test_a_failed_review_shows_undecided_criteria_without_asking_for_a_judgement(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "undecided")
    criteria = ["add returns the sum of both numbers", {"check": "defines", "name": "subtract"}]
    body = {"title": "Sums", "validation_criteria": {"criteria": criteria}}
    goal = (await client.post(f"{API}/goals", json=body, headers=user.headers)).json()
    task = (await client.post(f"{API}/tasks", json={"goal_id": goal["id"], "title": "T"}, headers=user.headers)).json()
    snapshot = (
        await client.post(
            f"{API}/tasks/{task['id']}/snapshots",
            json={"file_path": "add.py", "code_content": "def add(a: int, b: int) -> int:\n    return a + b\n"},
            headers=user.headers,
        )
    ).json()
    await run_reviews(settings, database_url)
    await web_login(client, "undecided")

    for path in (f"/reviews/{snapshot['id']}", f"/goals/{goal['id']}"):
        html = (await client.get(path)).text
        assert '<span class="badge criterion-undecided">Not decided</span>' in html, path
        assert '<span class="badge criterion-not_met">Not met</span>' in html, path
        assert "Waits for your judgement" not in html and "/judgement" not in html, path
    assert "Checked by the review" in (await client.get(f"/goals/{goal['id']}")).text
