"""What superusers may do to other accounts, and what everyone else may not."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.helpers import API, ApiUser, bearer, login, make_superuser, register_and_login


async def superuser(app: FastAPI, client: httpx.AsyncClient) -> ApiUser:
    admin = await register_and_login(client, "root")
    await make_superuser(app, admin.id)
    return admin


async def test_list_users_is_forbidden_to_non_superusers(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")

    response = await client.get(f"{API}/users", headers=ana.headers)

    assert response.status_code == 403, response.text
    assert response.json()["detail"] == "Only superusers may do this"


async def test_list_users_needs_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/users")).status_code == 401


async def test_list_users_is_paginated(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await superuser(app, client)
    for name in ("ana", "bob", "cleo", "dan"):
        await register_and_login(client, name)

    first = await client.get(f"{API}/users", params={"limit": 2}, headers=admin.headers)
    rest = await client.get(f"{API}/users", params={"limit": 2, "offset": 2}, headers=admin.headers)
    default = await client.get(f"{API}/users", headers=admin.headers)

    assert first.status_code == 200, first.text
    assert first.json()["total"] == 5
    assert (first.json()["limit"], first.json()["offset"]) == (2, 0)
    assert (rest.json()["limit"], rest.json()["offset"]) == (2, 2)
    names = [u["username"] for u in first.json()["items"] + rest.json()["items"]]
    assert names == ["root", "ana", "bob", "cleo"]
    assert default.json()["limit"] == 50
    assert [u["username"] for u in default.json()["items"]] == ["root", "ana", "bob", "cleo", "dan"]
    assert all("hashed_password" not in u for u in default.json()["items"])


async def test_list_users_limit_out_of_bounds_is_422(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await superuser(app, client)
    for params in ({"limit": 201}, {"limit": 0}, {"offset": -1}):
        response = await client.get(f"{API}/users", params=params, headers=admin.headers)
        assert response.status_code == 422, (params, response.text)


async def test_non_superuser_cannot_deactivate_anyone(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    bob = await register_and_login(client, "bob")

    response = await client.patch(f"{API}/users/{bob.id}", json={"is_active": False}, headers=ana.headers)

    assert response.status_code == 403, response.text
    assert (await client.get(f"{API}/users/me", headers=bob.headers)).json()["is_active"] is True


async def test_deactivation_ends_every_session_of_that_user_at_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await superuser(app, client)
    ana = await register_and_login(client, "ana")
    ana_laptop = await login(client, "ana")
    bob = await register_and_login(client, "bob")

    response = await client.patch(f"{API}/users/{ana.id}", json={"is_active": False}, headers=admin.headers)

    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert (await client.get(f"{API}/users/me", headers=ana.headers)).status_code == 401
    assert (await client.get(f"{API}/users/me", headers=bearer(ana_laptop["access_token"]))).status_code == 401
    for refresh_token in (ana.refresh_token, ana_laptop["refresh_token"]):
        refreshed = await client.post(f"{API}/auth/refresh", json={"refresh_token": refresh_token})
        assert refreshed.status_code == 401, refreshed.text
    assert (await client.get(f"{API}/users/me", headers=bob.headers)).status_code == 200

    reactivated = await client.patch(f"{API}/users/{ana.id}", json={"is_active": True}, headers=admin.headers)
    assert reactivated.status_code == 200, reactivated.text
    await login(client, "ana")


async def test_promotion_gives_superuser_rights(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await superuser(app, client)
    ana = await register_and_login(client, "ana")

    promoted = await client.patch(f"{API}/users/{ana.id}", json={"is_superuser": True}, headers=admin.headers)

    assert promoted.status_code == 200, promoted.text
    assert (await client.get(f"{API}/users", headers=ana.headers)).status_code == 200


async def test_unknown_user_id_is_404(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await superuser(app, client)
    response = await client.patch(
        f"{API}/users/usr_00000000000000000000000000", json={"is_active": False}, headers=admin.headers
    )
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == "User not found"
