"""What a failure of the database, its pools or the job queue means for the request that met it.

One translation, used by the API's JSON handlers and by the dashboard's pages alike: values the
database cannot store are the request's fault (422), a lost race is a conflict to retry (409), and
a database that is unreachable or has no connection free is a passing outage (503 with
`Retry-After`). Anything else is a bug and stays a 500.
"""

from __future__ import annotations

import psycopg
from procrastinate.exceptions import ConnectorException
from psycopg_pool import PoolTimeout
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolCheckoutTimeout

from ai_goals_tracker.db.outage import database_unreachable
from ai_goals_tracker.errors import AppError, ConflictError, ServiceUnavailableError, ValidationFailedError
from ai_goals_tracker.i18n import N_

# The exceptions `app_error_for` may translate: the app's handlers and the dashboard catch these.
TRANSLATED = (DBAPIError, PoolCheckoutTimeout, PoolTimeout, ConnectorException, OverflowError)

# Deadlock, serialization failure, unique violation: two requests raced; the loser may retry.
_RACE_SQLSTATES = frozenset({"40P01", "40001", "23505"})
# Values PostgreSQL cannot store though they passed validation: NUL characters, out-of-range numbers.
_NUL_MESSAGE = N_("Text must not contain NUL (\\u0000) characters")
_UNSTORABLE_SQLSTATES = {
    "22021": _NUL_MESSAGE,
    "22P05": _NUL_MESSAGE,
    "22003": N_("A number is out of the range the database can store"),
    "22008": N_("A date is out of the range the database can store"),
    "22P02": N_("A value is not in a form the database accepts"),
    "54001": N_("A value is nested too deeply"),
    "23502": N_("A required value is missing"),
    "23503": N_("A referenced id does not exist"),
    "23514": N_("A value is outside what the database allows"),
}
# Any other data exception (SQLSTATE class 22) also stems from the request's values.
_DATA_EXCEPTION_MESSAGE = N_("A value in the request cannot be stored or compared by the database")


def database_down() -> ServiceUnavailableError:
    return ServiceUnavailableError(N_("The database is unavailable; retry in a few seconds"))


def database_busy() -> ServiceUnavailableError:
    """Every pooled connection stayed in use for the pool's whole timeout: the server is overloaded."""
    return ServiceUnavailableError(N_("The server is busy; retry in a few seconds"))


def passing_outage(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot serve right now (down, or no connection free)."""
    return isinstance(app_error_for(exc), ServiceUnavailableError)


def app_error_for(exc: BaseException) -> AppError | None:
    """The answer `exc` deserves, or None when it is a bug (a 500)."""
    if isinstance(exc, PoolCheckoutTimeout | PoolTimeout):
        return database_busy()
    if isinstance(exc, OverflowError):
        # Date arithmetic on a valid but extreme value (a window ending 9999-12-31) leaves the calendar.
        return ValidationFailedError(N_("A date or number is out of the supported range"))
    if isinstance(exc, DBAPIError):
        refused = _refused_value(exc)
        if refused is not None:
            return refused
    if isinstance(exc, DBAPIError | ConnectorException) and database_unreachable(exc):
        return database_down()
    return None


def _refused_value(exc: DBAPIError) -> AppError | None:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in _RACE_SQLSTATES:
        return ConflictError(N_("A concurrent change got there first; retry the request"))
    if sqlstate in _UNSTORABLE_SQLSTATES:
        return ValidationFailedError(_UNSTORABLE_SQLSTATES[sqlstate])
    if sqlstate is None and isinstance(exc.orig, psycopg.DataError):
        # Refused by the driver before it reached the server: NUL in a query, path or form value.
        return ValidationFailedError(_NUL_MESSAGE)
    if sqlstate is not None and sqlstate.startswith("22"):
        return ValidationFailedError(_DATA_EXCEPTION_MESSAGE)
    return None
