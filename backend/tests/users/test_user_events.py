"""Every account change leaves one event, with where it came from and never a secret."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import API, PASSWORD, bearer, events_of, make_superuser, register_and_login


def client_headers(client_name: str | None) -> dict[str, str]:
    headers = {"User-Agent": "aigt-tests/1.0"}
    if client_name is not None:
        headers["X-Client"] = client_name
    return headers


async def test_account_lifecycle_writes_its_events_in_order_without_secrets(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    headers = client_headers("vscode_extension")
    registered = await client.post(
        f"{API}/auth/register",
        json={"email": "ana@example.com", "username": "ana", "password": PASSWORD},
        headers=headers,
    )
    user_id = registered.json()["id"]
    tokens = (
        await client.post(f"{API}/auth/login", data={"username": "ana", "password": PASSWORD}, headers=headers)
    ).json()
    auth = {**headers, **bearer(tokens["access_token"])}
    new_password = "another long passphrase"
    updated = await client.patch(
        f"{API}/users/me",
        json={"full_name": "Ana", "password": new_password, "current_password": PASSWORD},
        headers=auth,
    )
    assert updated.status_code == 200, updated.text
    assert (await client.post(f"{API}/auth/logout", headers=auth)).status_code == 204

    events = await events_of(app, user_id)

    assert [e.event_type.value for e in events] == ["user.created", "user.login", "user.updated", "user.logout"]
    for event in events:
        assert event.entity_type == "user"
        assert event.entity_id == user_id
        assert event.meta == {"source": "vscode_extension", "ip_address": "127.0.0.1", "user_agent": "aigt-tests/1.0"}
        text = json.dumps(event.payload)
        assert "hashed_password" not in event.payload
        assert "$argon2" not in text
        for secret in (PASSWORD, new_password, tokens["access_token"], tokens["refresh_token"]):
            assert secret not in text
    # The payload is the user's full state after the change, so the log can rebuild the row.
    assert events[0].payload["username"] == "ana"
    assert events[0].payload["last_login_at"] is None
    assert events[1].payload["last_login_at"] is not None
    assert events[2].payload["full_name"] == "Ana"
    assert events[2].payload["updated_at"] == updated.json()["updated_at"].replace("Z", "+00:00")


@pytest.mark.parametrize(
    ("x_client", "source"),
    [("cli", "cli"), ("web", "web"), ("VSCode_Extension", "vscode_extension"), (None, "api"), ("curl", "api")],
)
async def test_source_comes_from_the_x_client_header(
    app: FastAPI, client: httpx.AsyncClient, x_client: str | None, source: str
) -> None:
    response = await client.post(
        f"{API}/auth/register",
        json={"email": "ana@example.com", "username": "ana", "password": PASSWORD},
        headers=client_headers(x_client),
    )

    [event] = await events_of(app, response.json()["id"])
    assert event.meta["source"] == source


async def test_refused_changes_leave_no_event(app: FastAPI, client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    await register_and_login(client, "bob")
    before = len(await events_of(app, ana.id))

    await client.patch(f"{API}/users/me", json={"email": "bob@example.com"}, headers=ana.headers)
    await client.patch(f"{API}/users/me", json={"metadata": {"x": "y" * 17_000}}, headers=ana.headers)
    await client.post(f"{API}/auth/login", data={"username": "ana", "password": "wrong password"})

    assert len(await events_of(app, ana.id)) == before


async def test_deactivation_event_names_the_superuser(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await register_and_login(client, "root")
    await make_superuser(app, admin.id)
    ana = await register_and_login(client, "ana")

    response = await client.patch(
        f"{API}/users/{ana.id}", json={"is_active": False}, headers={**admin.headers, **client_headers("web")}
    )
    assert response.status_code == 200, response.text

    last = (await events_of(app, ana.id))[-1]
    assert last.event_type.value == "user.updated"
    assert last.payload["is_active"] is False
    assert last.payload["changed_by"] == admin.id
    assert last.meta["source"] == "web"
