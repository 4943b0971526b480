"""Helpers for API tests: users that register and log in through the real endpoints."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

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
