"""Tokens as an attacker or a careless client would present them: each one must be refused."""

from __future__ import annotations

from datetime import timedelta

import httpx
import jwt
import pytest
from fastapi import FastAPI

from ai_goals_tracker.auth.security import decode_token, encode_token
from tests.helpers import API, bearer, login, register_and_login

ME = f"{API}/users/me"


def token_secret(app: FastAPI) -> str:
    secret: str = app.state.token_settings.secret
    return secret


async def test_expired_access_token_is_401(app: FastAPI, client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    live = decode_token(token_secret(app), ana.headers["Authorization"].removeprefix("Bearer "), "access")
    # Same user, same live session, properly signed: only the expiry is in the past.
    expired = encode_token(
        token_secret(app),
        kind="access",
        user_id=live.user_id,
        session_id=live.session_id,
        token_id="expired",
        lifetime=timedelta(seconds=-1),
    )

    response = await client.get(ME, headers=bearer(expired))

    assert response.status_code == 401, response.text
    assert response.json()["detail"] == "Token expired"
    assert response.headers["www-authenticate"] == "Bearer"


def tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    return f"{header}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"


async def test_tampered_signature_is_401(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    token = ana.headers["Authorization"].removeprefix("Bearer ")

    response = await client.get(ME, headers=bearer(tamper(token)))

    assert response.status_code == 401, response.text
    assert response.json()["detail"] == "Invalid token"


async def test_token_signed_with_another_key_is_401(app: FastAPI, client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    claims = jwt.decode(ana.headers["Authorization"].removeprefix("Bearer "), token_secret(app), algorithms=["HS256"])
    forged = jwt.encode({**claims, "sub": ana.id}, "not-the-server-key-" * 3, algorithm="HS256")

    response = await client.get(ME, headers=bearer(forged))

    assert response.status_code == 401, response.text
    assert response.json()["detail"] == "Invalid token"


async def test_unsigned_token_is_401(app: FastAPI, client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    claims = jwt.decode(ana.headers["Authorization"].removeprefix("Bearer "), token_secret(app), algorithms=["HS256"])
    unsigned = jwt.encode(claims, None, algorithm="none")

    response = await client.get(ME, headers=bearer(unsigned))

    assert response.status_code == 401, response.text


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer "}, {"Authorization": "Bearer not.a.jwt"}])
async def test_missing_or_garbage_token_is_401(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.get(ME, headers=headers)
    assert response.status_code == 401, response.text


async def test_refresh_token_is_not_an_access_token(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")

    response = await client.get(ME, headers=bearer(ana.refresh_token))

    assert response.status_code == 401, response.text
    assert response.json()["detail"] == "Expected an access token"


async def test_access_token_is_not_a_refresh_token(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    access = ana.headers["Authorization"].removeprefix("Bearer ")

    response = await client.post(f"{API}/auth/refresh", json={"refresh_token": access})

    assert response.status_code == 401, response.text
    assert response.json()["detail"] == "Expected a refresh token"


async def test_logout_ends_access_and_refresh_tokens_at_once(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")

    logout = await client.post(f"{API}/auth/logout", headers=ana.headers)

    assert logout.status_code == 204, logout.text
    assert logout.content == b""
    after = await client.get(ME, headers=ana.headers)
    assert after.status_code == 401, after.text
    assert after.json()["detail"] == "Session has ended; log in again"
    refresh = await client.post(f"{API}/auth/refresh", json={"refresh_token": ana.refresh_token})
    assert refresh.status_code == 401, refresh.text
    assert (await client.post(f"{API}/auth/logout", headers=ana.headers)).status_code == 401


async def test_logout_ends_only_that_session(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    laptop = await login(client, "ana")

    assert (await client.post(f"{API}/auth/logout", headers=ana.headers)).status_code == 204

    still = await client.get(ME, headers=bearer(laptop["access_token"]))
    assert still.status_code == 200, still.text


async def test_refresh_rotates_the_pair(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")

    response = await client.post(f"{API}/auth/refresh", json={"refresh_token": ana.refresh_token})

    assert response.status_code == 200, response.text
    pair = response.json()
    assert pair["token_type"] == "bearer"
    assert pair["refresh_token"] != ana.refresh_token
    assert (await client.get(ME, headers=bearer(pair["access_token"]))).status_code == 200
    again = await client.post(f"{API}/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 200, again.text


async def test_reused_refresh_token_revokes_the_whole_session(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    other_device = await login(client, "ana")
    rotated = (await client.post(f"{API}/auth/refresh", json={"refresh_token": ana.refresh_token})).json()

    # The old refresh token comes back: someone kept a copy.
    reuse = await client.post(f"{API}/auth/refresh", json={"refresh_token": ana.refresh_token})

    assert reuse.status_code == 401, reuse.text
    assert reuse.json()["detail"] == "Refresh token already used; the session has been revoked"
    assert (await client.get(ME, headers=bearer(rotated["access_token"]))).status_code == 401
    assert (await client.get(ME, headers=ana.headers)).status_code == 401
    thief_or_owner = await client.post(f"{API}/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert thief_or_owner.status_code == 401, thief_or_owner.text
    # Only that session ends: another login of the same user goes on working.
    assert (await client.get(ME, headers=bearer(other_device["access_token"]))).status_code == 200


async def test_refresh_after_the_session_expired_is_401(app: FastAPI, client: httpx.AsyncClient) -> None:
    from sqlalchemy import update

    from ai_goals_tracker.models import AuthSession

    ana = await register_and_login(client, "ana")
    async with app.state.sessionmaker() as db_session:
        await db_session.execute(
            update(AuthSession).where(AuthSession.user_id == ana.id).values(expires_at=AuthSession.created_at)
        )
        await db_session.commit()

    response = await client.post(f"{API}/auth/refresh", json={"refresh_token": ana.refresh_token})

    assert response.status_code == 401, response.text
    assert response.json()["detail"] == "Session has ended; log in again"
