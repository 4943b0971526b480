"""Rows for the hottest reads, fetched on the driver's connection without the ORM.

A request that only loads rows to serialize them pays for a session, the ORM's statement execution
and an object per row several times over what the database takes (docs/performance.md). These
statements are still written with SQLAlchemy and compiled once; they run on a connection of the
same engine and pool, and a failure is wrapped as SQLAlchemy wraps every other one, so the error
handlers (db/failures.py) answer it alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.rows import dict_row
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ClauseElement

Row = dict[str, Any]

_DIALECT = psycopg_dialect.dialect()  # type: ignore[no-untyped-call]


class CompiledQuery:
    """A statement's SQL with named (`%(name)s`) parameters, compiled once for psycopg; rows come
    back keyed by column name (`metadata`, not the ORM's `meta`)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.sql = str(statement.compile(dialect=_DIALECT))


async def fetch_rows(engine: AsyncEngine, query: CompiledQuery, parameters: Mapping[str, Any]) -> list[Row]:
    """The rows of `query`, on a connection of `engine` (autocommit for the read engine)."""
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert isinstance(driver, psycopg.AsyncConnection)
        try:
            async with driver.cursor(row_factory=dict_row) as cursor:
                await cursor.execute(query.sql, parameters)
                return await cursor.fetchall()
        except psycopg.Error as exc:
            if driver.closed:
                # Lost: the pool must not hand this connection out again.
                await connection.invalidate(exc)
            raise DBAPIError.instance(
                query.sql,
                dict(parameters),
                exc,
                psycopg.Error,
                hide_parameters=True,
                connection_invalidated=driver.closed,
            ) from exc
