"""Telling a database outage (server down, restarting, connection lost) from any other failure.

An outage is nobody's fault and passes by itself: requests answer 503 and jobs retry soon, while
other database errors keep their meaning (a conflict, a bug)."""

from __future__ import annotations

import psycopg
from sqlalchemy.exc import DBAPIError

# Class 08: connection exceptions; 57P: the server is shutting down, crashed or is starting up.
_OUTAGE_SQLSTATE_PREFIXES = ("08", "57P")


def database_unreachable(exc: BaseException) -> bool:
    """Whether `exc`, or an exception it was raised from, says the database could not be reached."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, psycopg.OperationalError | psycopg.InterfaceError):
            # Without a SQLSTATE the client library itself failed to reach the server.
            return current.sqlstate is None or current.sqlstate.startswith(_OUTAGE_SQLSTATE_PREFIXES)
        if isinstance(current, ConnectionError):
            return True
        current = current.__cause__ or current.__context__
    return False
