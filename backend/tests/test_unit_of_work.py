"""One rule for every route: a request that answers an error keeps nothing it did.

Routes here change a course the way real handlers do (a service that flushes the row and its
event), then answer in each way a handler can: success, a raised refusal, a returned error status,
a dashboard form turned back. Only the success commits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select

from ai_goals_tracker.config import Settings
from ai_goals_tracker.courses import service as courses_service
from ai_goals_tracker.courses.schemas import CourseCreate
from ai_goals_tracker.db.session import SessionDep, UnitOfWorkRoute
from ai_goals_tracker.errors import ConflictError
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.models import Course, Event, User
from ai_goals_tracker.web.routing import WebRoute
from tests.helpers import register_and_login

api = APIRouter(prefix="/probe/api", route_class=UnitOfWorkRoute)
web = APIRouter(prefix="/probe/web", route_class=WebRoute)


async def _create_course(request: Request, session: SessionDep) -> None:
    user = await session.scalar(select(User).where(User.username == request.query_params["user"]))
    assert user is not None
    await courses_service.create(session, user, CourseCreate(title=request.url.path), ChangeContext())


def _refusal() -> ConflictError:
    return ConflictError(N_("A concurrent change got there first; retry the request"))


@api.post("/success")
async def api_success(request: Request, session: SessionDep) -> Response:
    await _create_course(request, session)
    return JSONResponse({}, status_code=201)


async def raised(request: Request, session: SessionDep) -> Response:
    await _create_course(request, session)
    raise _refusal()


@api.post("/returned")
async def api_returned(request: Request, session: SessionDep) -> Response:
    await _create_course(request, session)
    return JSONResponse({"detail": "refused"}, status_code=409)


@web.post("/returned")
async def web_returned(request: Request, session: SessionDep) -> Response:
    await _create_course(request, session)
    return Response("the form again, with its mistakes", status_code=422)


api.post("/raised")(raised)
web.post("/raised")(raised)


@pytest.fixture
async def probed(settings: Settings, database_url: str, clean_db: None) -> AsyncIterator[FastAPI]:
    from ai_goals_tracker.main import create_app

    application = create_app(settings, database_url)
    application.include_router(api)
    application.include_router(web)
    yield application
    await application.state.engine.dispose()
    await application.state.read_engine.dispose()


async def _saved(app: FastAPI) -> tuple[int, int]:
    async with app.state.sessionmaker() as session:
        courses = await session.scalar(select(func.count()).select_from(Course))
        events = await session.scalar(select(func.count()).select_from(Event).where(Event.entity_type == "course"))
    return courses or 0, events or 0


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/probe/api/raised", 409),
        ("/probe/api/returned", 409),
        # A refused form goes back to its page with the reason: a redirect, yet nothing is kept.
        ("/probe/web/raised", 303),
        ("/probe/web/returned", 422),
    ],
)
async def test_an_error_answer_keeps_nothing_the_request_did(probed: FastAPI, path: str, status: int) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=probed), base_url="http://test") as client:
        user = await register_and_login(client, "refused")

        refused = await client.post(path, params={"user": user.username})
        succeeded = await client.post("/probe/api/success", params={"user": user.username})

    assert refused.status_code == status, refused.text
    assert succeeded.status_code == 201
    # Only the successful request's course and its event were committed.
    assert await _saved(probed) == (1, 1)


def test_every_route_of_the_app_decides_its_transaction_by_its_answer(app: FastAPI) -> None:
    routes = [
        context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]
    assert len(routes) > 50
    assert [route.path for route in routes if not isinstance(route, UnitOfWorkRoute)] == []
