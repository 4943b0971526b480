"""Dashboard routes answer in HTML: errors become pages or a message on the page the form came from."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ai_goals_tracker.db.failures import TRANSLATED, app_error_for
from ai_goals_tracker.db.session import Handler, UnitOfWorkRoute
from ai_goals_tracker.errors import AppError, UnauthorizedError
from ai_goals_tracker.field_messages import field_message
from ai_goals_tracker.framework_errors import framework_error
from ai_goals_tracker.web.forms import require_utf8_form
from ai_goals_tracker.web.i18n import Locale, request_locale, translator
from ai_goals_tracker.web.page import Flash, SignInRequired, back_path, redirect, templates
from ai_goals_tracker.web.session import clear_session_cookie

# Refusals a form does not go back with: a forged (403) or unreadable (400) form was not sent by a
# page of ours, and a server that cannot serve now (503) would fail the page the form came from too.
_SHOWN_AS_PAGES = frozenset({400, 403, 503})


class WebRoute(UnitOfWorkRoute):
    """Turns what the handler raised into what a browser should see, once the request's changes
    are rolled back (`UnitOfWorkRoute`): a refused form keeps nothing it flushed."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def web_handler(request: Request) -> Response:
            try:
                await require_utf8_form(request)
                response = await handler(request)
            except (SignInRequired, UnauthorizedError):
                response = _to_login(request)
            except AppError as exc:
                response = _refused(request, exc)
            except (RequestValidationError, ValidationError) as exc:
                response = _failure(request, 422, _describe(exc, page_locale(request)))
            except StarletteHTTPException as exc:
                # The form itself could not be read (too many fields, broken multipart, too large).
                response = _refused(request, framework_error(exc))
            except TRANSLATED as exc:
                error = app_error_for(exc)
                if error is None:
                    raise
                response = _refused(request, error)
            return response

        return web_handler


def _to_login(request: Request) -> Response:
    target = request.url.path if request.method == "GET" else back_path(request)
    response = RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    if request.cookies.get("aigt_session"):
        clear_session_cookie(response, request)
    return response


def _refused(request: Request, error: AppError) -> Response:
    return _failure(request, error.status_code, error.text(page_locale(request)), error.headers)


def _failure(request: Request, status_code: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """A form that failed goes back where it came from with the reason; a page that failed explains
    itself, and so does a server that cannot serve now (503, with the API's `Retry-After`)."""
    if request.method == "POST" and status_code not in _SHOWN_AS_PAGES:
        return redirect(request, back_path(request), Flash("error", message))
    return error_page(request, status_code, message, headers)


def error_page(request: Request, status_code: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The page that explains an error, in the viewer's language."""
    locale = page_locale(request)
    page = templates.get_template("error.html").render(
        t=translator(locale),
        locale=locale,
        csrf="",
        status_code=status_code,
        message=message,
        user=None,
        flash=None,
        path="/",
    )
    return HTMLResponse(page, status_code=status_code, headers=headers)


def page_locale(request: Request) -> Locale:
    """The viewer's language when the page's dependencies got that far; else the browser's."""
    locale: Locale | None = getattr(request.state, "locale", None)
    return locale or request_locale(request, None)


def _describe(exc: RequestValidationError | ValidationError, locale: Locale) -> str:
    parts = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "form", "query"))
        message = field_message(error, locale)
        parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts)
