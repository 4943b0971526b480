"""Engine and sessions. A request's session commits once, at the boundary, or rolls back."""

from __future__ import annotations

import select
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import pq
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from ai_goals_tracker.db.server import sqlalchemy_url


def create_engine(
    dsn: str, *, pool_size: int, max_overflow: int, pool_timeout: float = 30.0, autocommit: bool = False
) -> AsyncEngine:
    """`autocommit=True` makes the engine of read-only requests: no BEGIN/COMMIT round trips.
    `pool_timeout`: how long a checkout waits for a free connection before giving up (a 503)."""
    engine = create_async_engine(
        sqlalchemy_url(dsn),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        # No round trip per checkout: `_replace_if_closed_by_server` finds stale connections instead.
        pool_pre_ping=False,
        # Error messages (and so tracebacks in logs) would otherwise carry statement parameters:
        # password hashes, emails, learners' code.
        hide_parameters=True,
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
    )
    event.listen(engine.sync_engine.pool, "checkout", _replace_if_closed_by_server)
    return engine


# Reads of what the server sent an idle connection before giving up on it.
_MAX_IDLE_READS = 3


def closed_by_server(pgconn: pq.abc.PGconn) -> bool:
    """Whether the server has ended this idle connection (a restart, a failover, a terminated
    backend): it then sent its last message and closed the socket, which the socket shows at once,
    with no round trip. Whatever else an idle connection may have been sent (TLS records, a changed
    parameter) is read, and the connection kept."""
    for _ in range(_MAX_IDLE_READS):
        if pgconn.status != pq.ConnStatus.OK:
            return True
        readable, _, _ = select.select([pgconn.socket], [], [], 0)
        if not readable:
            return False
        try:
            pgconn.consume_input()
        except psycopg.OperationalError:
            return True
    return pgconn.status != pq.ConnStatus.OK


def _replace_if_closed_by_server(
    _dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    # A pooled connection from before a database restart would fail the request that drew it (one
    # 503 per stale connection, after /health already said ok): the pool replaces it instead.
    driver = record.driver_connection
    if isinstance(driver, psycopg.AsyncConnection | psycopg.Connection) and closed_by_server(driver.pgconn):
        raise DisconnectionError("the database closed this connection")


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
