from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from ai_goals_tracker.db.session import SessionDep

router = APIRouter(tags=["health"])


class HealthRead(BaseModel):
    status: str
    database: str
    pgvector: str


@router.get("/health")
async def health(session: SessionDep) -> HealthRead:
    version = await session.scalar(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
    return HealthRead(status="ok", database="ok", pgvector=str(version))
