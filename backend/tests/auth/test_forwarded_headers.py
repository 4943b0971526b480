"""X-Forwarded-For and X-Forwarded-Proto decide the client's address and scheme only when they come
from a trusted proxy: a header anyone can set must not buy fresh rate-limit allowances or forge the
event log, and a trusted proxy's HTTPS makes the cookies Secure."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import serving
from tests.helpers import PASSWORD

pytestmark = pytest.mark.slow


def register_and_login(base_url: str, username: str, forwarded_for: str) -> dict[str, str]:
    httpx.post(
        f"{base_url}/api/v1/auth/register",
        json={"email": f"{username}@example.com", "username": username, "password": PASSWORD},
        timeout=30,
    ).raise_for_status()
    response = httpx.post(
        f"{base_url}/api/v1/auth/login",
        data={"username": username, "password": PASSWORD},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=30,
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def login_addresses(base_url: str, headers: dict[str, str]) -> list[str]:
    events = httpx.get(
        f"{base_url}/api/v1/events", params={"event_type": "user.login"}, headers=headers, timeout=30
    ).json()
    return [event["metadata"]["ip_address"] for event in events["items"]]


def test_a_rotated_forwarded_header_does_not_reset_the_limit_nor_reach_the_log(
    live_server: str, clean_live_db: None
) -> None:
    headers = register_and_login(live_server, "ana", forwarded_for="203.0.113.9")
    assert login_addresses(live_server, headers) == ["127.0.0.1"]

    statuses = [
        httpx.post(
            f"{live_server}/api/v1/auth/login",
            data={"username": "ana", "password": f"guess {i}"},
            headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
            timeout=30,
        ).status_code
        for i in range(11)
    ]

    assert statuses == [401] * 10 + [429]


@pytest.fixture
def behind_a_trusted_proxy(live_database_url: str, tmp_path: Path, clean_live_db: None) -> Iterator[str]:
    env = {"AIGT_DATABASE_URL": live_database_url, "AIGT_TRUSTED_PROXIES": "127.0.0.1"}
    with serving(tmp_path, env, "--no-worker") as base_url:
        yield base_url


def test_a_trusted_proxy_names_the_client(behind_a_trusted_proxy: str) -> None:
    headers = register_and_login(behind_a_trusted_proxy, "ana", forwarded_for="203.0.113.9")
    assert login_addresses(behind_a_trusted_proxy, headers) == ["203.0.113.9"]


def cookie_is_secure(response: httpx.Response, name: str) -> bool:
    header = next(value for value in response.headers.get_list("set-cookie") if value.startswith(f"{name}="))
    return "secure" in {part.strip().lower() for part in header.split(";")}


def test_https_named_by_a_trusted_proxy_makes_cookies_secure_and_queries_stay_out_of_the_log(
    behind_a_trusted_proxy: str, live_server: str, tmp_path: Path
) -> None:
    over_https = {"X-Forwarded-Proto": "https"}
    trusted = httpx.get(
        f"{behind_a_trusted_proxy}/login", params={"next": "/search?q=private-words"}, headers=over_https
    )
    untrusted = httpx.get(f"{live_server}/login", headers=over_https)

    assert cookie_is_secure(trusted, "aigt_csrf")
    # A server trusting no proxy believes no header: the request came over plain HTTP.
    assert not cookie_is_secure(untrusted, "aigt_csrf")
    log = (tmp_path / "serve.log").read_text()
    assert re.search(r'"GET /login" 200 \d+\.\d ms', log), log
    assert "private-words" not in log
