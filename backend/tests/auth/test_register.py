"""Registration as a new user meets it: what comes back, and why a request is refused."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.config import Settings
from ai_goals_tracker.models import User
from tests.helpers import API, PASSWORD, client_from


def new_user(**overrides: Any) -> dict[str, Any]:
    return {"email": "ana@example.com", "username": "ana", "password": PASSWORD, **overrides}


async def test_register_returns_the_user_without_any_password(client: httpx.AsyncClient, session: AsyncSession) -> None:
    response = await client.post(f"{API}/auth/register", json=new_user(full_name="Ana Pérez"))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("usr_")
    assert body["email"] == "ana@example.com"
    assert body["username"] == "ana"
    assert body["full_name"] == "Ana Pérez"
    assert body["is_active"] is True
    assert body["is_superuser"] is False
    assert body["last_login_at"] is None
    assert body["metadata"] == {}
    assert "password" not in response.text
    assert PASSWORD not in response.text

    stored = await session.scalar(select(User).where(User.id == body["id"]))
    assert stored is not None
    assert stored.hashed_password.startswith("$argon2id$")


async def test_email_is_stored_lowercase(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{API}/auth/register", json=new_user(email="Ana.Perez@Example.COM"))
    assert response.status_code == 201, response.text
    assert response.json()["email"] == "ana.perez@example.com"


@pytest.mark.parametrize(
    "second",
    [
        {"email": "other@example.com"},
        {"email": "other@example.com", "username": "ANA"},
        # Taken too, but the answer names only the username: usernames are public, emails are not.
        {"username": "Ana"},
    ],
)
async def test_a_taken_username_is_a_conflict(client: httpx.AsyncClient, second: dict[str, str]) -> None:
    first = await client.post(f"{API}/auth/register", json=new_user())
    assert first.status_code == 201, first.text

    response = await client.post(f"{API}/auth/register", json=new_user(**second))

    assert response.status_code == 409, response.text
    assert response.json()["detail"] == "A user with this username already exists"
    assert response.json()["field"] == "username"


@pytest.mark.parametrize("email", ["ana@example.com", "ANA@Example.com"])
async def test_a_taken_email_is_answered_as_a_new_account_and_makes_none(
    client: httpx.AsyncClient, session: AsyncSession, email: str
) -> None:
    owner = await client.post(f"{API}/auth/register", json=new_user())
    assert owner.status_code == 201, owner.text

    probe = await client.post(f"{API}/auth/register", json=new_user(email=email, username="prober", full_name="P"))
    fresh = await client.post(
        f"{API}/auth/register", json=new_user(email="nobody@example.com", username="fresh", full_name="P")
    )

    # The same status, the same fields, the same kinds of values: nothing tells the two apart.
    assert (probe.status_code, fresh.status_code) == (201, 201), probe.text
    probed, created = probe.json(), fresh.json()
    assert probed.keys() == created.keys()
    assert probed["id"].startswith("usr_") and probed["id"] != owner.json()["id"]
    assert {k: v for k, v in probed.items() if k not in ("id", "email", "username", "created_at", "updated_at")} == {
        k: v for k, v in created.items() if k not in ("id", "email", "username", "created_at", "updated_at")
    }
    assert probed["email"] == "ana@example.com" and probed["username"] == "prober"
    # No second account: the owner's is untouched and still signs in; the prober's does not exist.
    users = {user.username: user for user in await session.scalars(select(User))}
    assert sorted(users) == ["ana", "fresh"]
    assert (await client.post(f"{API}/auth/login", data={"username": "ana", "password": PASSWORD})).status_code == 200
    refused = await client.post(f"{API}/auth/login", data={"username": "prober", "password": PASSWORD})
    assert refused.status_code == 401


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 10 characters"),
        ("ana", "at least 10 characters"),
        ("ana_the_learner", "must not be the same as the username or the email"),
        ("ANA_THE_LEARNER", "must not be the same as the username or the email"),
        ("ana@example.com", "must not be the same as the username or the email"),
        # NIST SP 800-63B: no common, repeated, sequential or account-derived passwords.
        ("aaaaaaaaaa", "password is too easy to guess"),
        ("1234567890", "password is too easy to guess"),
        ("password12", "password is too easy to guess"),
        (" " * 10, "password is too easy to guess"),
        ("iloveyou123", "password is too easy to guess"),
        ("ana_the_learner1", "password is too easy to guess"),
    ],
)
async def test_password_rules_answer_422_on_the_password_field(
    client: httpx.AsyncClient, password: str, message: str
) -> None:
    response = await client.post(f"{API}/auth/register", json=new_user(username="ana_the_learner", password=password))

    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert [e["loc"] for e in errors] == [["body", "password"]]
    assert message in errors[0]["msg"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"email": "not-an-email"}, "email"), ({"username": "a b"}, "username"), ({"username": "ab"}, "username")],
)
async def test_malformed_identifiers_answer_422_on_their_field(
    client: httpx.AsyncClient, overrides: dict[str, str], field: str
) -> None:
    response = await client.post(f"{API}/auth/register", json=new_user(**overrides))
    assert response.status_code == 422, response.text
    assert ["body", field] in [e["loc"] for e in response.json()["detail"]]


async def test_concurrent_registrations_of_one_email_create_one_user(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    responses = await asyncio.gather(
        *(client.post(f"{API}/auth/register", json=new_user(username=f"ana{i}")) for i in range(4))
    )

    # Whichever won, every answer is a new account's: none says the email was taken.
    assert [r.status_code for r in responses] == [201, 201, 201, 201], [r.text for r in responses]
    assert len(list(await session.scalars(select(User)))) == 1


async def test_a_rejected_password_is_not_echoed_back(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/auth/register", json={"email": "ana@example.com", "username": "ana", "password": "ana!"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]
    assert "ana!" not in response.text


async def test_registrations_are_limited_per_address_like_logins(
    app: FastAPI, settings: Settings, clean_db: None
) -> None:
    limit = settings.registrations_per_address_per_minute
    async with client_from(app, "10.3.0.1") as spammer:
        for i in range(limit):
            response = await spammer.post(
                f"{API}/auth/register", json=new_user(email=f"bot{i}@example.com", username=f"bot{i}")
            )
            assert response.status_code == 201, response.text
        # Refused ones count too, and the answer is refused before the email is even looked at.
        limited = await spammer.post(f"{API}/auth/register", json=new_user(email="ana@example.com", username="ana"))
    assert limited.status_code == 429, limited.text
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # Another address registers as usual, and logins from the limited one are not affected.
    async with client_from(app, "10.3.0.2") as learner:
        assert (await learner.post(f"{API}/auth/register", json=new_user())).status_code == 201
    async with client_from(app, "10.3.0.1") as spammer:
        login = await spammer.post(f"{API}/auth/login", data={"username": "bot0", "password": PASSWORD})
    assert login.status_code == 200, login.text
