"""Logging in: by username or email, refusals, and the per-account and per-address rate limit."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from ai_goals_tracker.auth.security import HASHING_NICENESS, HASHING_THREADS, hash_password, verify_password
from ai_goals_tracker.config import Settings
from ai_goals_tracker.main import create_app
from ai_goals_tracker.models import User
from tests.helpers import API, PASSWORD, bearer, client_from, make_superuser, register_and_login


async def register(client: httpx.AsyncClient, username: str) -> str:
    response = await client.post(
        f"{API}/auth/register",
        json={"email": f"{username}@example.com", "username": username, "password": PASSWORD},
    )
    assert response.status_code == 201, response.text
    user_id: str = response.json()["id"]
    return user_id


def login_form(login: str, password: str = PASSWORD) -> dict[str, str]:
    return {"username": login, "password": password}


@pytest.mark.parametrize("login", ["ana", "ana@example.com", "ANA@Example.com", "  ana  "])
async def test_login_by_username_or_email_returns_a_working_token_pair(client: httpx.AsyncClient, login: str) -> None:
    await register(client, "ana")

    response = await client.post(f"{API}/auth/login", data=login_form(login))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["access_token"] != body["refresh_token"]
    me = await client.get(f"{API}/users/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "ana"


async def test_login_sets_last_login_at(client: httpx.AsyncClient) -> None:
    await register(client, "ana")
    before = datetime.now(UTC)

    tokens = (await client.post(f"{API}/auth/login", data=login_form("ana"))).json()

    me = (await client.get(f"{API}/users/me", headers=bearer(tokens["access_token"]))).json()
    last_login = datetime.fromisoformat(me["last_login_at"])
    assert before - timedelta(seconds=5) <= last_login <= datetime.now(UTC) + timedelta(seconds=5)


@pytest.mark.parametrize("login", ["ana", "nobody"])
async def test_wrong_password_and_unknown_user_get_the_same_401(client: httpx.AsyncClient, login: str) -> None:
    await register(client, "ana")

    response = await client.post(f"{API}/auth/login", data=login_form(login, "wrong password!"))

    assert response.status_code == 401, response.text
    assert response.json()["detail"] == "Incorrect username or password"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_login_form_without_password_is_a_field_level_422(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{API}/auth/login", data={"username": "ana"})
    assert response.status_code == 422, response.text
    assert ["body", "password"] in [e["loc"] for e in response.json()["detail"]]


async def test_deactivated_user_cannot_log_in(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await register_and_login(client, "root")
    await make_superuser(app, admin.id)
    ana_id = await register(client, "ana")
    deactivated = await client.patch(f"{API}/users/{ana_id}", json={"is_active": False}, headers=admin.headers)
    assert deactivated.status_code == 200, deactivated.text

    response = await client.post(f"{API}/auth/login", data=login_form("ana"))

    assert response.status_code == 403, response.text
    assert response.json()["detail"] == "This account is deactivated"
    assert "access_token" not in response.text


async def test_ten_wrong_guesses_from_one_address_stop_that_address_but_not_the_owner_elsewhere(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await register(client, "ana")
    async with client_from(app, "10.0.0.1") as attacker:
        for i in range(10):
            response = await attacker.post(f"{API}/auth/login", data=login_form("ana", f"guess number {i}"))
            assert response.status_code == 401, response.text
        # Even the right password is refused here now, and the email names the same account.
        limited = await attacker.post(f"{API}/auth/login", data=login_form("ana"))
        by_email = await attacker.post(f"{API}/auth/login", data=login_form("ana@example.com"))

    for response in (limited, by_email):
        assert response.status_code == 429, response.text
        retry_after = int(response.headers["retry-after"])
        assert 1 <= retry_after <= 60
        assert response.json()["detail"] == f"Too many login attempts; try again in {retry_after} seconds"

    async with client_from(app, "10.0.1.1") as owner:
        allowed = await owner.post(f"{API}/auth/login", data=login_form("ana"))
    assert allowed.status_code == 200, allowed.text


@pytest.fixture
async def strict_app(settings: Settings, database_url: str, clean_db: None) -> AsyncIterator[FastAPI]:
    """The app with an allowance of 5 wrong passwords per address: a few requests reach the limit
    well inside its one-minute window, however slow the machine."""
    application = create_app(settings.model_copy(update={"login_attempts_per_address_per_minute": 5}), database_url)
    yield application
    await application.state.engine.dispose()
    await application.state.read_engine.dispose()


async def test_one_address_spraying_guesses_over_many_accounts_is_stopped(strict_app: FastAPI) -> None:
    async with client_from(strict_app, "10.0.2.1") as sprayer:
        await register(sprayer, "ana")
        for i in range(5):
            response = await sprayer.post(f"{API}/auth/login", data=login_form(f"user{i}", "wrong password"))
            assert response.status_code == 401, response.text
        limited = await sprayer.post(f"{API}/auth/login", data=login_form("ana"))

    assert limited.status_code == 429, limited.text
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    async with client_from(strict_app, "10.0.2.2") as elsewhere:
        allowed = await elsewhere.post(f"{API}/auth/login", data=login_form("ana"))
    assert allowed.status_code == 200, allowed.text


async def test_a_classroom_behind_one_address_logs_in_without_locking_each_other_out(strict_app: FastAPI) -> None:
    async with client_from(strict_app, "10.0.3.1") as classroom:
        for i in range(50):
            await register(classroom, f"learner{i}")
        # A few typos among them do not lock anyone out either.
        for i in range(4):
            typo = await classroom.post(f"{API}/auth/login", data=login_form(f"learner{i}", "a typo in it"))
            assert typo.status_code == 401, typo.text
        statuses = [
            (await classroom.post(f"{API}/auth/login", data=login_form(f"learner{i}"))).status_code for i in range(50)
        ]
    # Ten times the address's allowance of wrong passwords, all welcome: successes do not count.
    assert statuses == [200] * 50


async def test_parallel_guesses_cannot_slip_past_the_limit(app: FastAPI, client: httpx.AsyncClient) -> None:
    import asyncio

    await register(client, "ana")

    async def guess(i: int) -> int:
        async with client_from(app, "10.1.0.1") as attacker:
            response = await attacker.post(f"{API}/auth/login", data=login_form("ana", f"guess {i}"))
        return response.status_code

    statuses = await asyncio.gather(*(guess(i) for i in range(16)))

    assert sorted(statuses) == [401] * 10 + [429] * 6


async def stored_hash(app: FastAPI, user_id: str) -> str:
    async with app.state.sessionmaker() as db_session:
        hashed: str = (await db_session.execute(select(User.hashed_password).where(User.id == user_id))).scalar_one()
    return hashed


async def test_logins_that_crowd_in_hash_in_a_bounded_set_of_threads_of_their_own() -> None:
    hashes = await asyncio.gather(*(hash_password(f"password {n}") for n in range(4 * HASHING_THREADS + 2)))

    hashing = [thread for thread in threading.enumerate() if thread.name.startswith("aigt-password-hashing")]
    assert 1 <= len(hashing) <= HASHING_THREADS
    assert all(await asyncio.gather(*(verify_password(h, f"password {n}") for n, h in enumerate(hashes))))
    # …and below the priority of the thread serving the other requests.
    serving = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert {_niceness(thread) for thread in hashing} == {min(19, serving + HASHING_NICENESS)}


def _niceness(thread: threading.Thread) -> int:
    assert thread.native_id is not None
    return os.getpriority(os.PRIO_PROCESS, thread.native_id)
