"""The interactive API documentation at `/docs`: Swagger UI, served from the `swagger-ui-bundle-v2`
package instead of a CDN, so that it works on a machine that reaches nothing outside, and under the
Content-Security-Policy of every other page: its script and style are files of this origin, and it
is started by a file too (`/static/api-docs.js`), not by an inline script as FastAPI's page is.

ReDoc is not served: its styles are written by script at run time, which the policy forbids. The
OpenAPI document itself stays at `/openapi.json`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from ai_goals_tracker.db.session import UnitOfWorkRoute
from ai_goals_tracker.errors import NotFoundError
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.web import STATIC_PATH

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
# The files the page loads, and nothing else of the package: its demo page and initializer would
# point Swagger UI at another origin's example API.
_ASSETS = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "text/javascript"}

_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>AI Goals Tracker API</title>
<link rel="icon" href="{STATIC_PATH}/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{STATIC_PATH}/api-docs.js"></script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)


@router.get(DOCS_PATH)
async def api_docs() -> HTMLResponse:
    return HTMLResponse(_PAGE)


@router.get(ASSETS_PATH + "/{name}")
async def api_docs_asset(name: str) -> FileResponse:
    if name not in _ASSETS:
        raise NotFoundError(N_("Not Found"))
    return FileResponse(Path(swagger_ui_path) / name, media_type=_ASSETS[name])


def serve_api_docs(app: FastAPI) -> None:
    """The page, and Swagger UI's files from the package that ships them."""
    app.include_router(router)
