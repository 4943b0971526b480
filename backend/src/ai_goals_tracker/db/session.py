"""The request-scoped session dependency: one transaction per request, committed at the boundary."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.db.engine import unit_of_work

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    if request.method in SAFE_METHODS:
        # Reads change nothing, so they skip BEGIN/COMMIT: two round trips fewer per request.
        async with request.app.state.read_sessionmaker() as session:
            yield session
        return
    async with unit_of_work(request.app.state.sessionmaker) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a client never sees
# success for a change that then failed to commit.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
