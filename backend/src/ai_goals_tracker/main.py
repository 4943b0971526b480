"""The ASGI application: routers, error handlers, database lifecycle."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException as StarletteHTTPException

from ai_goals_tracker.access_log import AccessLogMiddleware
from ai_goals_tracker.activity.endpoints import router as events_router
from ai_goals_tracker.auth.endpoints import router as auth_router
from ai_goals_tracker.auth.service import TokenSettings
from ai_goals_tracker.config import Settings, get_settings
from ai_goals_tracker.courses.endpoints import router as courses_router
from ai_goals_tracker.db.engine import create_engine, create_sessionmaker
from ai_goals_tracker.db.failures import TRANSLATED, app_error_for
from ai_goals_tracker.db.server import resolve_database_url
from ai_goals_tracker.errors import AppError, ServiceUnavailableError, ValidationFailedError
from ai_goals_tracker.field_messages import field_errors
from ai_goals_tracker.framework_errors import framework_error
from ai_goals_tracker.goals.endpoints import router as goals_router
from ai_goals_tracker.health.endpoints import metrics_router
from ai_goals_tracker.health.endpoints import router as health_router
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.jobs import start_worker_task
from ai_goals_tracker.planning.endpoints import router as planning_router
from ai_goals_tracker.response_language import response_locale
from ai_goals_tracker.search.catalog_match import start_warm_up as start_embeddings_warm_up
from ai_goals_tracker.search.endpoints import router as search_router
from ai_goals_tracker.snapshots.endpoints import router as snapshots_router
from ai_goals_tracker.stats.endpoints import router as stats_router
from ai_goals_tracker.tasks.endpoints import router as tasks_router
from ai_goals_tracker.users.endpoints import registration_router
from ai_goals_tracker.users.endpoints import router as users_router
from ai_goals_tracker.web import STATIC_DIR, STATIC_PATH
from ai_goals_tracker.web.api_docs import serve_api_docs
from ai_goals_tracker.web.router import router as web_router
from ai_goals_tracker.web.routing import error_page, page_locale
from ai_goals_tracker.web.security import BodyLimitMiddleware, SecurityHeadersMiddleware, headers_for

API_PREFIX = "/api/v1"
# The largest request body: a submission of the largest code (256 KB) written with JSON's
# longest escapes fits, and so do accepted suggestions with their criteria.
MAX_REQUEST_BODY_BYTES = 2 * 1024 * 1024


def create_app(
    settings: Settings | None = None, database_url: str | None = None, *, with_worker: bool = False
) -> FastAPI:
    """The API; `with_worker` also runs a job worker in this process (what `aigt serve` does)."""
    settings = settings or get_settings()
    dsn = database_url or resolve_database_url(settings)
    engine = _engine(settings, dsn)
    # Safe (read-only) requests use their own pool, on a read replica when one is configured.
    read_engine = _engine(settings, settings.read_database_url or dsn, autocommit=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything imported and built so far lives as long as the process: keep it out of the
        # collector's full passes, which would otherwise walk it and stall requests for tens of ms.
        gc.collect()
        gc.freeze()
        # Each request allocates thousands of short-lived objects; collecting every 700 of them
        # (the default) spends more time in the collector than it saves.
        gc.set_threshold(50_000, 20, 100)
        # The first suggestion, search and review must not wait for the embedding model to load.
        start_embeddings_warm_up(settings)
        worker = start_worker_task(settings, dsn) if with_worker else None
        yield
        if worker is not None:
            worker.cancel()
            with suppress(asyncio.CancelledError):
                await worker
        await engine.dispose()
        await read_engine.dispose()

    app = FastAPI(
        title="AI Goals Tracker",
        version="0.1.0",
        description="Goals, tasks and code snapshots validated and explained by AI.",
        lifespan=lifespan,
        # Served by web/api_docs.py from this machine, under the pages' Content-Security-Policy.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.read_engine = read_engine
    app.state.read_sessionmaker = create_sessionmaker(read_engine)
    app.state.token_settings = TokenSettings.from_settings(settings)

    # Routes are matched in order: the ones learners' editors call most come first.
    for router in (
        tasks_router,
        goals_router,
        snapshots_router,
        courses_router,
        events_router,
        search_router,
        planning_router,
        stats_router,
        users_router,
        registration_router,
        auth_router,
        health_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(health_router)
    app.include_router(metrics_router)
    serve_api_docs(app)
    # The dashboard at `/`, after the API so that API paths are matched first.
    app.include_router(web_router)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")
    _install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_REQUEST_BODY_BYTES)
    # Added after the body limit, so outside it: the body limit's 413 carries the headers too.
    app.add_middleware(SecurityHeadersMiddleware)
    # Outermost, with the request metrics: it times and logs every answer, whichever layer gave it.
    app.add_middleware(AccessLogMiddleware)
    return app


def _engine(settings: Settings, dsn: str, *, autocommit: bool = False) -> AsyncEngine:
    return create_engine(
        dsn,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout_seconds,
        autocommit=autocommit,
    )


_INTERNAL_ERROR = N_("Something went wrong on the server; it has been logged")
# Paths whose errors are JSON in the API's shape; every other path is the dashboard's, answered with a page.
_JSON_PATHS = frozenset({"/health", "/metrics", "/openapi.json"})


def speaks_json(path: str) -> bool:
    return path.startswith("/api/") or path == "/api" or path in _JSON_PATHS


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes each rejected value back; for a password that would put it in
        # responses and logs. The location and the message say what to fix.
        errors = field_errors(exc.errors(), await response_locale(request))
        return JSONResponse(
            status_code=422, content={"detail": jsonable_encoder(errors), "code": ValidationFailedError.code}
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error_handler(request: Request, exc: StarletteHTTPException) -> Response:
        # Raised by the framework itself: no such path, wrong method, a body it could not read.
        return await _error_response(request, framework_error(exc))

    @app.exception_handler(AppError)
    async def app_error_handler(request: Request, exc: AppError) -> Response:
        return await _error_response(request, exc)

    async def failure_handler(request: Request, exc: Exception) -> Response:
        # Database, pool and job-queue failures that say something about the request or the
        # server's state (db/failures.py); any other one is a bug and stays a 500.
        error = app_error_for(exc)
        if error is None:
            raise exc
        return await _error_response(request, error)

    for failure in TRANSLATED:
        app.add_exception_handler(failure, failure_handler)

    @app.exception_handler(Exception)
    async def bug_handler(request: Request, _exc: Exception) -> Response:
        # A bug: the error shape and the security headers all the same (this answer is sent from
        # outside the middleware that adds them); the traceback goes to the log as before.
        error = AppError(_INTERNAL_ERROR, status_code=500, code="internal_error", headers=headers_for(request.url.path))
        return await _error_response(request, error, database_up=False)


async def _error_response(request: Request, exc: AppError, *, database_up: bool = True) -> Response:
    """The error in the caller's language: on the API as JSON, whose code and fields stay as they
    are for programs; elsewhere as the dashboard's page."""
    if not speaks_json(request.url.path):
        return error_page(request, exc.status_code, exc.text(page_locale(request)), exc.headers)
    database_up = database_up and not isinstance(exc, ServiceUnavailableError)
    locale = await response_locale(request, database_up=database_up)
    return JSONResponse(status_code=exc.status_code, content=exc.body(locale), headers=exc.headers)
