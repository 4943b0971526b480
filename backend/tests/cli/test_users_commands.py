"""`aigt users …` as an administrator runs it on the server: real processes, real database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import API, PASSWORD, bearer, events_of, register_and_login

pytestmark = pytest.mark.slow

ADMIN_PASSWORD = "a long admin passphrase"


class RunUsers(Protocol):
    def __call__(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]: ...


@pytest.fixture
def run_users(database_url: str, tmp_path: Path, clean_db: None) -> RunUsers:
    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ai_goals_tracker.cli", "users", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**os.environ, "AIGT_DATABASE_URL": database_url, "AIGT_HOME": str(tmp_path), "COLUMNS": "200"},
            timeout=120,
            # No controlling terminal: the hidden prompt reads standard input, as it would in a pipe.
            start_new_session=True,
        )

    return run


async def test_create_superuser_from_stdin_can_log_in_and_administer(
    app: FastAPI, client: httpx.AsyncClient, run_users: RunUsers
) -> None:
    result = run_users(
        "create", "root", "--email", "Root@Example.com", "--superuser", "--password-stdin", stdin=ADMIN_PASSWORD + "\n"
    )

    assert result.returncode == 0, result.stderr
    assert "Created superuser root <root@example.com>" in result.stdout
    assert ADMIN_PASSWORD not in result.stdout + result.stderr
    tokens = (await client.post(f"{API}/auth/login", data={"username": "root", "password": ADMIN_PASSWORD})).json()
    users = await client.get(f"{API}/users", headers=bearer(tokens["access_token"]))
    assert users.status_code == 200, users.text
    [root] = users.json()["items"]
    assert root["is_superuser"] is True
    [created, _login] = await events_of(app, root["id"])
    assert created.event_type.value == "user.created"
    assert created.meta == {"source": "cli", "ip_address": None, "user_agent": None}
    assert "hashed_password" not in created.payload


async def test_create_without_flag_makes_an_ordinary_user_from_the_hidden_prompt(
    client: httpx.AsyncClient, run_users: RunUsers
) -> None:
    result = run_users("create", "ana", "--email", "ana@example.com", stdin=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.returncode == 0, result.stderr
    assert "Created user ana" in result.stdout
    assert PASSWORD not in result.stdout
    tokens = (await client.post(f"{API}/auth/login", data={"username": "ana", "password": PASSWORD})).json()
    me = (await client.get(f"{API}/users/me", headers=bearer(tokens["access_token"]))).json()
    assert me["is_superuser"] is False
    assert (await client.get(f"{API}/users", headers=bearer(tokens["access_token"]))).status_code == 403


async def test_prompt_confirmation_mismatch_creates_nobody(client: httpx.AsyncClient, run_users: RunUsers) -> None:
    result = run_users("create", "ana", "--email", "ana@example.com", stdin=f"{PASSWORD}\nsomething else\n")

    assert result.returncode != 0
    assert "do not match" in result.stdout + result.stderr
    login = await client.post(f"{API}/auth/login", data={"username": "ana", "password": PASSWORD})
    assert login.status_code == 401


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ("ana", "--email", "ana@example.com"),
            "short\n",
            "error: The user was not created: password: String should have at least 10",
        ),
        (("ana", "--email", "ana@example.com"), "ana@example.com\n", "must not be the same as the username"),
        (
            ("ana", "--email", "not-an-email"),
            PASSWORD + "\n",
            "error: The user was not created: email: value is not a valid email",
        ),
        (("ana", "--email", "ana@example.com"), "", "error: no password on standard input"),
    ],
)
def test_refused_input_is_one_clear_line_and_exit_code_1(
    run_users: RunUsers, args: tuple[str, ...], stdin: str, message: str
) -> None:
    result = run_users("create", *args, "--password-stdin", stdin=stdin)

    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


async def test_duplicate_username_is_refused(client: httpx.AsyncClient, run_users: RunUsers) -> None:
    await register_and_login(client, "ana")

    result = run_users("create", "ana", "--email", "other@example.com", "--password-stdin", stdin=PASSWORD)

    assert result.returncode == 1
    assert result.stderr.strip() == "error: A user with this username already exists"


def test_password_is_never_an_argument(run_users: RunUsers) -> None:
    result = run_users("create", "ana", "--email", "ana@example.com", "--password", PASSWORD)
    assert result.returncode == 2
    assert "No such option: --password" in result.stderr


async def test_list_and_deactivate(app: FastAPI, client: httpx.AsyncClient, run_users: RunUsers) -> None:
    ana = await register_and_login(client, "ana", full_name="Ana Pérez")
    await register_and_login(client, "bob")

    listed = run_users("list")
    assert listed.returncode == 0, listed.stderr
    assert "ana@example.com" in listed.stdout
    assert "Ana Pérez" in listed.stdout
    assert "bob@example.com" in listed.stdout
    assert "2 users; showing 1-2" in listed.stdout

    deactivated = run_users("deactivate", "ana")
    assert deactivated.returncode == 0, deactivated.stderr
    assert "Deactivated ana" in deactivated.stdout
    assert (await client.get(f"{API}/users/me", headers=ana.headers)).status_code == 401
    refused = await client.post(f"{API}/auth/login", data={"username": "ana", "password": PASSWORD})
    assert refused.status_code == 403
    last = (await events_of(app, ana.id))[-1]
    assert last.event_type.value == "user.updated"
    assert last.payload["is_active"] is False
    assert last.meta["source"] == "cli"

    events_before = len(await events_of(app, ana.id))
    again = run_users("deactivate", "ana")
    assert again.returncode == 0
    assert "ana was already deactivated" in again.stdout
    assert len(await events_of(app, ana.id)) == events_before

    missing = run_users("deactivate", "nobody")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: No user named 'nobody'"


def test_unmigrated_database_says_to_migrate(scratch_database: Callable[[str], str], tmp_path: Path) -> None:
    dsn = scratch_database("users_unmigrated")
    result = subprocess.run(
        [sys.executable, "-m", "ai_goals_tracker.cli", "users", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, "AIGT_DATABASE_URL": dsn, "AIGT_HOME": str(tmp_path)},
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "error: The database has no tables yet; run `aigt migrate` first"
