from __future__ import annotations

import httpx

from tests.helpers import API, register_and_login


async def test_register_login_me(client: httpx.AsyncClient) -> None:
    ana = await register_and_login(client, "ana")
    me = await client.get(f"{API}/users/me", headers=ana.headers)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "ana"
    assert "hashed_password" not in me.json()
