"""The cost of argon2id password hashes: configured, refused when impossible, and applied to old hashes at login."""

from __future__ import annotations

import dataclasses

import argon2
import httpx
import pytest
from argon2.profiles import RFC_9106_LOW_MEMORY
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import select, update

from ai_goals_tracker.auth.security import password_hasher
from ai_goals_tracker.config import Settings, get_settings
from ai_goals_tracker.models import User
from tests.helpers import API, PASSWORD, login, register_and_login

COST_VARIABLES = ("AIGT_PASSWORD_HASH_TIME_COST", "AIGT_PASSWORD_HASH_MEMORY_KIB", "AIGT_PASSWORD_HASH_PARALLELISM")


def test_production_hashes_follow_rfc_9106s_low_memory_profile_in_one_lane(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in COST_VARIABLES:
        monkeypatch.delenv(variable, raising=False)

    stored = password_hasher(Settings()).hash(PASSWORD)

    assert argon2.extract_parameters(stored) == dataclasses.replace(RFC_9106_LOW_MEMORY, parallelism=1)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=1$")


def test_the_cost_comes_from_aigt_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIGT_PASSWORD_HASH_TIME_COST", "2")
    monkeypatch.setenv("AIGT_PASSWORD_HASH_MEMORY_KIB", "512")
    monkeypatch.setenv("AIGT_PASSWORD_HASH_PARALLELISM", "2")

    stored = password_hasher(Settings()).hash(PASSWORD)

    assert stored.startswith("$argon2id$v=19$m=512,t=2,p=2$")
    assert argon2.PasswordHasher().verify(stored, PASSWORD)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"password_hash_time_cost": 0}, "password_hash_time_cost\n  Input should be greater than or equal to 1"),
        ({"password_hash_parallelism": 0}, "password_hash_parallelism\n  Input should be greater than or equal to 1"),
        (
            {"password_hash_parallelism": 4, "password_hash_memory_kib": 16},
            "password_hash_memory_kib\n  Value error, must be at least 8 KiB per lane of "
            "AIGT_PASSWORD_HASH_PARALLELISM (32 for 4)",
        ),
        ({"password_hash_memory_kib": 2**32}, "password_hash_memory_kib\n  Input should be less than or equal to"),
    ],
)
def test_impossible_costs_are_refused_naming_the_setting(values: dict[str, int], message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**values)  # type: ignore[arg-type]

    assert message in str(refused.value)


async def stored_hash(app: FastAPI, user_id: str) -> str:
    async with app.state.sessionmaker() as session:
        hashed: str = await session.scalar(select(User.hashed_password).where(User.id == user_id))
        return hashed


async def test_a_hash_made_with_other_costs_is_redone_at_the_next_login(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await register_and_login(client, "ana")
    old = argon2.PasswordHasher(time_cost=2, memory_cost=512, parallelism=2).hash(PASSWORD)
    async with app.state.sessionmaker() as session:
        await session.execute(update(User).where(User.id == user.id).values(hashed_password=old))
        await session.commit()

    wrong = await client.post(f"{API}/auth/login", data={"username": "ana", "password": "not the password"})
    assert wrong.status_code == 401
    assert await stored_hash(app, user.id) == old

    await login(client, "ana")

    upgraded = await stored_hash(app, user.id)
    configured = password_hasher(get_settings())
    assert argon2.extract_parameters(upgraded) == argon2.extract_parameters(configured.hash(PASSWORD))
    assert argon2.extract_parameters(upgraded) != argon2.extract_parameters(old)
    assert configured.verify(upgraded, PASSWORD)
    await login(client, "ana")
    assert await stored_hash(app, user.id) == upgraded
