"""The baselines of the API benchmark: a minimal FastAPI app running the same SQL as each measured
endpoint with plain psycopg (async pool); no auth, no session check, no ORM, no schema validation,
no middleware. The caller names the user in `X-User-Id` where a query needs one.

- `GET /api/v1/goals/{id}`: the row.
- `GET /api/v1/tasks?limit=50`: the count and the page, in the order the API lists tasks.
- `PATCH /api/v1/tasks/{id}` `{"title": …}`: in one transaction, lock the row, update it, append
  its event with the row's state, commit.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Body, FastAPI, Header, HTTPException
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
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


@app.get("/api/v1/tasks")
async def list_tasks(user_id: Annotated[str, Header(alias="X-User-Id")], limit: int = 50, offset: int = 0) -> Any:
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute("SELECT count(*) AS total FROM tasks WHERE user_id = %s", (user_id,))
        total = await cursor.fetchone()
        await cursor.execute(
            "SELECT * FROM tasks WHERE user_id = %s ORDER BY created_at, id LIMIT %s OFFSET %s",
            (user_id, limit, offset),
        )
        rows = await cursor.fetchall()
    return {"items": rows, "total": total["total"] if total else 0, "limit": limit, "offset": offset}


@app.patch("/api/v1/tasks/{task_id}")
async def update_task(
    task_id: str, user_id: Annotated[str, Header(alias="X-User-Id")], title: Annotated[str, Body(embed=True)]
) -> Any:
    async with pool.connection() as conn, conn.transaction(), conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(
            "SELECT id FROM tasks WHERE id = %s AND user_id = %s FOR NO KEY UPDATE", (task_id, user_id)
        )
        if await cursor.fetchone() is None:
            raise HTTPException(status_code=404, detail="Task not found")
        await cursor.execute(
            "UPDATE tasks SET title = %s, updated_at = now() WHERE id = %s RETURNING *", (title, task_id)
        )
        row = await cursor.fetchone()
        assert row is not None
        await cursor.execute(
            "INSERT INTO events (id, event_type, user_id, entity_type, entity_id, payload, metadata) "
            "VALUES (%s, 'task.updated', %s, 'task', %s, %s, %s)",
            (
                f"evt_{secrets.token_hex(13)}",
                user_id,
                task_id,
                Jsonb(json.loads(json.dumps(row, default=str))),
                Jsonb({"source": "api"}),
            ),
        )
    return row
