"""Registration as a new user meets it: what comes back, and why a request is refused."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.models import User
from tests.helpers import API, PASSWORD


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
    ("second", "field"),
    [
        ({"username": "other"}, "email"),
        ({"email": "ANA@example.com", "username": "other"}, "email"),
        ({"email": "other@example.com"}, "username"),
        ({"email": "other@example.com", "username": "ANA"}, "username"),
    ],
)
async def test_duplicate_email_or_username_is_a_conflict(
    client: httpx.AsyncClient, second: dict[str, str], field: str
) -> None:
    first = await client.post(f"{API}/auth/register", json=new_user())
    assert first.status_code == 201, first.text

    response = await client.post(f"{API}/auth/register", json=new_user(**second))

    assert response.status_code == 409, response.text
    assert response.json()["detail"] == f"A user with this {field} already exists"
    assert response.json()["field"] == field


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

    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    refused = [r.json() for r in responses if r.status_code == 409]
    assert all(body["detail"] == "A user with this email already exists" for body in refused), refused
    assert len(list(await session.scalars(select(User)))) == 1


async def test_a_rejected_password_is_not_echoed_back(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/auth/register", json={"email": "ana@example.com", "username": "ana", "password": "ana!"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]
    assert "ana!" not in response.text
