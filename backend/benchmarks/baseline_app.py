"""The baseline of the API benchmark: a minimal FastAPI app running the same single-row query
with plain psycopg (async pool), no auth, no ORM, no ownership, no schema validation."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

pool = AsyncConnectionPool(os.environ["BASELINE_DSN"], min_size=4, max_size=10, open=False)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await pool.open(wait=True)
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/api/v1/goals/{goal_id}")
async def read_goal(goal_id: str) -> dict[str, Any]:
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute("SELECT * FROM goals WHERE id = %s", (goal_id,))
        row = await cursor.fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="Goal not found")
    return row
