"""Engine and sessions. A request's session commits once, at the boundary, or rolls back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from ai_goals_tracker.db.server import sqlalchemy_url


def create_engine(
    dsn: str, *, pool_size: int, max_overflow: int, pool_timeout: float = 30.0, autocommit: bool = False
) -> AsyncEngine:
    """`autocommit=True` makes the engine of read-only requests: no BEGIN/COMMIT round trips.
    `pool_timeout`: how long a checkout waits for a free connection before giving up (a 503)."""
    return create_async_engine(
        sqlalchemy_url(dsn),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_pre_ping=False,
        # Error messages (and so tracebacks in logs) would otherwise carry statement parameters:
        # password hashes, emails, learners' code.
        hide_parameters=True,
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: responses are serialized after the commit without a reload.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def end_reads(session: AsyncSession) -> None:
    """End a transaction that has only read, before a long wait (a model, an LLM): no connection
    then sits idle in a transaction holding a snapshot. Later statements start a new transaction,
    which the request's dependency commits as usual. A transaction that has written is left alone."""
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        await session.commit()


@asynccontextmanager
async def unit_of_work(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: committed when the block succeeds, rolled back when it raises."""
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
