"""`GET|PATCH /users/me`: a user reading and changing their own account."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import API, PASSWORD, bearer, client_from, login, register_and_login

ME = f"{API}/users/me"
NEW_PASSWORD = "a much longer passphrase"


async def test_me_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get(ME)
    assert response.status_code == 401, response.text
    assert response.json()["detail"] == "Not authenticated"


async def test_update_profile_fields(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")

    response = await client.patch(
        ME, json={"full_name": "Ana Pérez", "metadata": {"editor": "vscode", "langs": ["python"]}}, headers=ana.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["full_name"] == "Ana Pérez"
    assert response.json()["metadata"] == {"editor": "vscode", "langs": ["python"]}
    reread = (await client.get(ME, headers=ana.headers)).json()
    assert reread["full_name"] == "Ana Pérez"
    assert reread["metadata"] == {"editor": "vscode", "langs": ["python"]}
    assert reread["updated_at"] > reread["created_at"]


async def test_metadata_over_16_kb_is_422_and_changes_nothing(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")

    response = await client.patch(ME, json={"metadata": {"notes": "x" * 16_400}}, headers=ana.headers)

    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "metadata"]
    assert "at most 16384 are allowed" in error["msg"]
    assert (await client.get(ME, headers=ana.headers)).json()["metadata"] == {}


async def test_unknown_fields_such_as_is_superuser_are_refused(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")

    response = await client.patch(ME, json={"is_superuser": True}, headers=ana.headers)

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "is_superuser"]
    assert (await client.get(ME, headers=ana.headers)).json()["is_superuser"] is False


async def test_new_password_without_current_password_is_422_on_that_field(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")

    response = await client.patch(ME, json={"password": NEW_PASSWORD}, headers=ana.headers)

    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert [e["loc"] for e in errors] == [["body", "current_password"]]
    assert "current_password is required to set a new password" in errors[0]["msg"]


async def test_new_password_with_wrong_current_password_is_422_and_keeps_the_old_one(
    client: httpx.AsyncClient,
) -> None:
    ana = await register_and_login(client, "ana")

    response = await client.patch(
        ME, json={"password": NEW_PASSWORD, "current_password": "not my password"}, headers=ana.headers
    )

    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        {"loc": ["body", "current_password"], "msg": "current_password is not correct", "type": "validation_error"}
    ]
    await login(client, "ana", PASSWORD)


async def test_new_password_equal_to_username_is_422(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana_the_learner")

    response = await client.patch(
        ME, json={"password": "Ana_The_Learner", "current_password": PASSWORD}, headers=ana.headers
    )

    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "password"]
    assert error["msg"] == "password must not be the same as the username or the email"


async def test_password_change_keeps_this_session_and_ends_the_others(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    stolen = await login(client, "ana")

    response = await client.patch(
        ME, json={"password": NEW_PASSWORD, "current_password": PASSWORD}, headers=ana.headers
    )

    assert response.status_code == 200, response.text
    assert (await client.get(ME, headers=ana.headers)).status_code == 200
    assert (await client.get(ME, headers=bearer(stolen["access_token"]))).status_code == 401
    refresh = await client.post(f"{API}/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert refresh.status_code == 401, refresh.text
    old = await client.post(f"{API}/auth/login", data={"username": "ana", "password": PASSWORD})
    assert old.status_code == 401, old.text
    await login(client, "ana", NEW_PASSWORD)


async def test_email_change_and_its_conflict(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    await register_and_login(client, "bob")

    taken = await client.patch(ME, json={"email": "BOB@example.com"}, headers=ana.headers)
    assert taken.status_code == 409, taken.text
    assert taken.json()["detail"] == "A user with this email already exists"
    assert taken.json()["field"] == "email"

    # Re-stating one's own email is not a conflict with oneself.
    same = await client.patch(ME, json={"email": "ana@example.com"}, headers=ana.headers)
    assert same.status_code == 200, same.text

    changed = await client.patch(ME, json={"email": "Ana.New@Example.com"}, headers=ana.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == "ana.new@example.com"
    await login(client, "ana.new@example.com")


async def test_malformed_email_is_422(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    response = await client.patch(ME, json={"email": "nope"}, headers=ana.headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


async def test_wrong_current_passwords_are_limited_like_logins(app: FastAPI, client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    async with client_from(app, "10.2.0.1") as thief:
        for i in range(10):
            response = await thief.patch(
                ME, json={"password": NEW_PASSWORD, "current_password": f"guess {i}"}, headers=ana.headers
            )
            assert response.status_code == 422, response.text
        limited = await thief.patch(
            ME, json={"password": NEW_PASSWORD, "current_password": PASSWORD}, headers=ana.headers
        )
    assert limited.status_code == 429, limited.text
    assert 1 <= int(limited.headers["retry-after"]) <= 60

    # The guesses count for the account at that address, logins included.
    async with client_from(app, "10.2.0.1") as thief:
        login_there = await thief.post(f"{API}/auth/login", data={"username": "ana", "password": PASSWORD})
    assert login_there.status_code == 429, login_there.text
    async with client_from(app, "10.2.0.2") as owner:
        changed = await owner.patch(
            ME, json={"password": NEW_PASSWORD, "current_password": PASSWORD}, headers=ana.headers
        )
    assert changed.status_code == 200, changed.text


async def test_right_current_passwords_do_not_add_up_to_a_limit(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    passwords = [PASSWORD, NEW_PASSWORD]
    for i in range(12):
        current, new = passwords[i % 2], passwords[(i + 1) % 2]
        response = await client.patch(ME, json={"password": new, "current_password": current}, headers=ana.headers)
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("weak", ["aaaaaaaaaa", "1234567890", "password12", " " * 10, "qwertyuiop"])
async def test_common_or_trivial_new_passwords_are_refused(client: httpx.AsyncClient, weak: str) -> None:
    ana = await register_and_login(client, "ana")

    response = await client.patch(ME, json={"password": weak, "current_password": PASSWORD}, headers=ana.headers)

    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "password"]
    assert error["msg"].startswith("password is too easy to guess")
    assert (await login(client, "ana")).get("access_token")
