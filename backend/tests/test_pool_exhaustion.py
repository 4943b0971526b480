"""Every pooled connection in use: requests wait the pool's timeout, then answer 503 with
`Retry-After` (JSON in the API's error shape, a page on the dashboard), never a plain 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI

from ai_goals_tracker.config import Settings
from tests.helpers import API, register_and_login
from tests.web.helpers import csrf_of, web_login

# Short, so that the test does not wait the default 30 s for each refused request.
POOL_TIMEOUT_SECONDS = 0.2
BUSY = "The server is busy; retry in a few seconds"


@pytest.fixture
async def small_pool(settings: Settings, database_url: str, clean_db: None) -> AsyncIterator[FastAPI]:
    from ai_goals_tracker.main import create_app

    one_connection = settings.model_copy(
        update={
            "database_pool_size": 1,
            "database_max_overflow": 0,
            "database_pool_timeout_seconds": POOL_TIMEOUT_SECONDS,
        }
    )
    application = create_app(one_connection, database_url)
    yield application
    await application.state.engine.dispose()
    await application.state.read_engine.dispose()


async def _hold_every_connection(app: FastAPI, stack: AsyncExitStack) -> None:
    for engine in (app.state.engine, app.state.read_engine):
        await stack.enter_async_context(engine.connect())


async def test_a_full_pool_answers_503_with_retry_after(small_pool: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=small_pool), base_url="http://test") as client:
        user = await register_and_login(client, "crowded")
        await web_login(client, "crowded")
        token = await csrf_of(client, "/")

        async with AsyncExitStack() as stack:
            await _hold_every_connection(small_pool, stack)
            read = await client.get(f"{API}/goals", headers=user.headers)
            write = await client.post(f"{API}/goals", json={"title": "Waits"}, headers=user.headers)
            health = await client.get("/health")
            page = await client.get("/")
            form = await client.post("/courses", data={"title": "Waits", "csrf_token": token})

        for response in (read, write):
            assert response.status_code == 503, response.text
            assert response.json() == {"detail": BUSY, "code": "service_unavailable"}
            assert response.headers["retry-after"] == "5"
        assert health.status_code == 503
        assert (health.json()["database"], health.json()["down"]) == ("busy", ["database"])
        for response in (page, form):
            assert response.status_code == 503, response.text
            assert response.headers["content-type"].startswith("text/html")
            assert BUSY in response.text
            assert response.headers["retry-after"] == "5"
            assert "default-src 'none'" in response.headers["content-security-policy"]

        # The connections back in the pool, the same requests succeed and nothing refused was kept.
        goals = await client.get(f"{API}/goals", headers=user.headers)
        assert goals.status_code == 200
        assert goals.json()["total"] == 0
        assert (await client.get("/")).status_code == 200
