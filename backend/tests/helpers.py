"""Helpers for API tests: users that register and log in through the real endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from ai_goals_tracker.models import Event, User

API = "/api/v1"
PASSWORD = "correct horse battery"


@dataclass
class ApiUser:
    id: str
    username: str
    headers: dict[str, str]
    refresh_token: str


async def register_and_login(client: httpx.AsyncClient, username: str, **extra: str) -> ApiUser:
    response = await client.post(
        f"{API}/auth/register",
        json={"email": f"{username}@example.com", "username": username, "password": PASSWORD, **extra},
    )
    assert response.status_code == 201, response.text
    user_id = response.json()["id"]
    tokens = await login(client, username)
    return ApiUser(
        id=user_id,
        username=username,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        refresh_token=tokens["refresh_token"],
    )


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post(f"{API}/auth/login", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def make_superuser(app: FastAPI, user_id: str) -> None:
    """Promote a registered user directly in the database, as `aigt users create --superuser` would."""
    async with app.state.sessionmaker() as db_session:
        await db_session.execute(update(User).where(User.id == user_id).values(is_superuser=True))
        await db_session.commit()


@asynccontextmanager
async def client_from(app: FastAPI, ip_address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from another address (the rate limit counts per address)."""
    transport = httpx.ASGITransport(app=app, client=(ip_address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def events_of(app: FastAPI, user_id: str) -> list[Event]:
    """The user's events in the order they were written."""
    async with app.state.sessionmaker() as db_session:
        rows = await db_session.scalars(
            select(Event).where(Event.user_id == user_id).order_by(Event.created_at, Event.id)
        )
        return list(rows)
