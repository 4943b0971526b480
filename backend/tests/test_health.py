from __future__ import annotations

import httpx


async def test_health_reports_database_and_pgvector(client: httpx.AsyncClient) -> None:
    for path in ("/health", "/api/v1/health"):
        response = await client.get(path)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["database"] == "ok"
        assert tuple(int(p) for p in body["pgvector"].split(".")[:2]) >= (0, 8)


async def test_openapi_docs_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "AI Goals Tracker"
