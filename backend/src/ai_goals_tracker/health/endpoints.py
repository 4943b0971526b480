from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import text

from ai_goals_tracker.db.session import SessionDep
from ai_goals_tracker.deps import SettingsDep
from ai_goals_tracker.sandbox import sandbox_status

router = APIRouter(tags=["health"])


class HealthRead(BaseModel):
    status: str
    database: str
    pgvector: str
    sandbox: str = Field(
        description="The bubblewrap version that runs goals' tests, or `unavailable` (tests then need a person)."
    )


@router.get("/health")
async def health(session: SessionDep, settings: SettingsDep) -> HealthRead:
    version = await session.scalar(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
    # The first call starts a trial jail; later ones read the cached answer.
    sandbox = await asyncio.to_thread(sandbox_status, settings.sandbox_bwrap)
    return HealthRead(
        status="ok",
        database="ok",
        pgvector=str(version),
        sandbox=sandbox.detail if sandbox.available else "unavailable",
    )
