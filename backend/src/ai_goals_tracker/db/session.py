"""The request's unit of work: one transaction per request, committed at the boundary only when
the answer is a success.

The rule, for the API and the dashboard alike: a request that answers an error (an exception, or
a response with a 4xx or 5xx status such as a form shown again with its mistakes) rolls back
everything it did. The session dependency commits what is left when the request ends; the route
class (`UnitOfWorkRoute`, which every router uses) rolls back first when the answer is an error,
before anything turns an exception into a page, a redirect or JSON.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.db.engine import unit_of_work

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Statuses from here up are error answers: their request's changes are rolled back.
FIRST_ERROR_STATUS = 400

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    if request.method in SAFE_METHODS:
        # Reads change nothing, so they skip BEGIN/COMMIT: two round trips fewer per request.
        async with request.app.state.read_sessionmaker() as session:
            yield session
        return
    async with unit_of_work(request.app.state.sessionmaker) as session:
        request.state.unit_of_work = session
        yield session


# scope="function": the commit happens before the response is sent, so a client never sees
# success for a change that then failed to commit.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def abandon_changes(request: Request) -> None:
    """Roll back what the request's session did so far; the dependency then commits nothing."""
    session: AsyncSession | None = getattr(request.state, "unit_of_work", None)
    if session is not None:
        await session.rollback()


class UnitOfWorkRoute(APIRoute):
    """Rolls back a request that answers an error, whether it raised or returned the error."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def transactional_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception:
                # Rolled back before a subclass turns the exception into an answer.
                await abandon_changes(request)
                raise
            if response.status_code >= FIRST_ERROR_STATUS:
                await abandon_changes(request)
            return response

        return transactional_handler
