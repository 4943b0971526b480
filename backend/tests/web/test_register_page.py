"""The dashboard's registration: the API's rules, its limit per address, and no word on taken emails."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.config import Settings
from ai_goals_tracker.models import User
from tests.helpers import API, PASSWORD, client_from
from tests.web.helpers import csrf_of


async def _register(client: httpx.AsyncClient, email: str, username: str) -> httpx.Response:
    token = await csrf_of(client, "/register")
    form = {"csrf_token": token, "email": email, "username": username, "password": PASSWORD}
    return await client.post("/register", data=form)


async def test_a_taken_email_gets_the_answer_of_a_new_account(client: httpx.AsyncClient, session: AsyncSession) -> None:
    owner = {"email": "ana@example.com", "username": "ana", "password": PASSWORD}
    assert (await client.post(f"{API}/auth/register", json=owner)).status_code == 201

    probe = await _register(client, "ana@example.com", "prober")
    fresh = await _register(client, "eva@example.com", "eva")

    assert (probe.status_code, fresh.status_code) == (303, 303), probe.text
    assert probe.headers["location"] == "/login?next=/&username=prober"
    assert fresh.headers["location"] == "/login?next=/&username=eva"
    assert await session.scalar(select(func.count()).select_from(User)) == 2
    # A taken username is still said, on its field.
    taken = await _register(client, "other@example.com", "ana")
    assert taken.status_code == 409
    assert "A user with this username already exists" in taken.text


async def test_registrations_from_one_address_are_limited(app: FastAPI, settings: Settings, clean_db: None) -> None:
    async with client_from(app, "10.4.0.1") as browser:
        for i in range(settings.registrations_per_address_per_minute):
            assert (await _register(browser, f"bot{i}@example.com", f"bot{i}")).status_code == 303
        limited = await _register(browser, "one.more@example.com", "onemore")
    assert limited.status_code == 429
    assert "Too many accounts registered from your address" in limited.text
    assert 1 <= int(limited.headers["retry-after"]) <= 60
