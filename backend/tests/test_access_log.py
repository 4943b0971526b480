"""The access log says who asked for what and how it went, and keeps nothing private: no query
string (learners' search text goes there), no token, cookie or password."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from ai_goals_tracker.access_log import ACCESS_LOGGER
from tests.helpers import API, PASSWORD, register_and_login
from tests.web.helpers import web_login

PRIVATE_QUERY = "what-ana-searched-for"


async def test_each_request_is_logged_without_its_query_string_or_secrets(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        user = await register_and_login(client, "ana")
        await web_login(client, "ana")
        listed = await client.get(f"{API}/goals", params={"course_id": PRIVATE_QUERY}, headers=user.headers)
        page = await client.get("/login", params={"next": f"/search?q={PRIVATE_QUERY}"})
        missing = await client.get(f"/nothing?q={PRIVATE_QUERY}")

    assert (listed.status_code, page.status_code, missing.status_code) == (200, 303, 404)
    lines = [record.getMessage() for record in caplog.records if record.name == ACCESS_LOGGER]
    timed = r" \d+\.\d ms$"
    assert any(re.search(rf'"GET /api/v1/goals" 200{timed}', line) for line in lines), lines
    assert any(re.search(rf'"POST /api/v1/auth/login" 200{timed}', line) for line in lines), lines
    assert any(re.search(rf'"GET /nothing" 404{timed}', line) for line in lines), lines
    secrets = [
        PRIVATE_QUERY,
        PASSWORD,
        user.headers["Authorization"].removeprefix("Bearer "),
        user.refresh_token,
        client.cookies["aigt_session"],
        client.cookies["aigt_csrf"],
    ]
    # Everything the server logged; the test's own HTTP client logs the URLs it asks for.
    server_log = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith(("httpx", "httpcore"))
    )
    for secret in secrets:
        assert secret not in server_log
