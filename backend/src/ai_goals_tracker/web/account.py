"""Signing in and out, registering, and the language switch."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.auth import service as auth_service
from ai_goals_tracker.auth.deps import TokenSettingsDep
from ai_goals_tracker.auth.security import decode_token
from ai_goals_tracker.db.session import SessionDep
from ai_goals_tracker.deps import SettingsDep
from ai_goals_tracker.errors import AppError, ConflictError, ForbiddenError, RateLimitedError, UnauthorizedError
from ai_goals_tracker.field_messages import field_message
from ai_goals_tracker.models import User
from ai_goals_tracker.users import service as users_service
from ai_goals_tracker.users.schemas import UserCreate, UserUpdate
from ai_goals_tracker.web.i18n import Locale, as_locale
from ai_goals_tracker.web.page import Flash, LearnerDep, Viewer, ViewerDep, back_path, redirect, render, safe_next
from ai_goals_tracker.web.routing import WebRoute
from ai_goals_tracker.web.session import (
    LANGUAGE_COOKIE,
    clear_session_cookie,
    session_token,
    set_language_cookie,
    set_session_cookie,
)

router = APIRouter(route_class=WebRoute)

LoginField = Annotated[str, Form(max_length=320)]
PasswordField = Annotated[str, Form(max_length=256)]


@router.get("/login")
async def login_page(viewer: ViewerDep, next: str = "/", username: str = "") -> Response:
    if viewer.user is not None:
        return redirect(viewer.request, safe_next(next))
    return render(viewer, "login.html", next=safe_next(next), username=username[:320], error=None)


@router.post("/login")
async def login(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    tokens: TokenSettingsDep,
    username: LoginField = "",
    password: PasswordField = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The API's login (`POST /api/v1/auth/login`) with its rate limit, answered with a session cookie."""
    try:
        attempt_id = await auth_service.count_login_attempt(
            request.app.state.sessionmaker,
            login=username,
            ip_address=viewer.context.ip_address or "unknown",
            limits=auth_service.GuessLimits.from_settings(settings),
        )
        pair = await auth_service.login(
            session, tokens, login=username, password=password, context=viewer.context, attempt_id=attempt_id
        )
    except (UnauthorizedError, ForbiddenError, RateLimitedError) as exc:
        error = _login_error(viewer, exc)
        return render(
            viewer, "login.html", status_code=exc.status_code, next=safe_next(next), username=username, error=error
        )
    claims = decode_token(tokens.secret, pair.access_token, "access")
    response = redirect(request, safe_next(next))
    set_session_cookie(
        response, request, session_token(tokens, claims.user_id, claims.session_id), tokens.refresh_lifetime
    )
    return response


def _login_error(viewer: Viewer, exc: AppError) -> str:
    if isinstance(exc, RateLimitedError):
        return viewer.t("login.rate_limited", seconds=(exc.headers or {}).get("Retry-After", "60"))
    if isinstance(exc, ForbiddenError):
        return viewer.t("login.deactivated")
    return viewer.t("login.incorrect")


@router.get("/register")
async def register_page(viewer: ViewerDep) -> Response:
    if viewer.user is not None:
        return redirect(viewer.request, "/")
    return render(viewer, "register.html", values={}, errors={})


@router.post("/register")
async def register(
    viewer: ViewerDep,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)] = "",
    username: Annotated[str, Form(max_length=100)] = "",
    password: PasswordField = "",
    full_name: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    values = {"email": email, "username": username, "full_name": full_name}
    try:
        data = UserCreate(email=email, username=username, password=password, full_name=full_name or None)
        # The API's registration, its limit per address included; a taken email is not said.
        await auth_service.count_registration(
            viewer.request.app.state.sessionmaker,
            ip_address=viewer.context.ip_address or "unknown",
            per_minute=settings.registrations_per_address_per_minute,
        )
        user = await users_service.register_publicly(session, data, viewer.context)
    except ValidationError as exc:
        errors = {str(error["loc"][0]): field_message(error, viewer.locale) for error in exc.errors() if error["loc"]}
        return render(viewer, "register.html", status_code=422, values=values, errors=errors)
    except ConflictError as exc:
        field = str(exc.extra.get("field", "username"))
        return render(viewer, "register.html", status_code=409, values=values, errors={field: exc.text(viewer.locale)})
    except RateLimitedError as exc:
        page = render(viewer, "register.html", status_code=429, values=values, errors={"form": exc.text(viewer.locale)})
        page.headers.update(exc.headers or {})
        return page
    if viewer.request.cookies.get(LANGUAGE_COOKIE):
        # The learner chose a language before registering: keep it as their preference.
        await _save_language(session, viewer, user, viewer.locale)
    flash = Flash("success", viewer.t("register.done"))
    return redirect(viewer.request, f"/login?next=/&username={user.username}", flash)


@router.post("/logout")
async def logout(learner: LearnerDep, session: SessionDep) -> Response:
    """Ends the server-side session: the API tokens of this login stop working too."""
    await auth_service.logout(session, learner.user, learner.claims.session_id, learner.context)
    response = redirect(learner.request, "/login", Flash("success", learner.t("logout.done")))
    clear_session_cookie(response, learner.request)
    return response


@router.post("/language")
async def switch_language(
    viewer: ViewerDep, session: SessionDep, language: Annotated[str, Form(max_length=10)] = "en"
) -> Response:
    locale = as_locale(language) or "en"
    if viewer.user is not None:
        await _save_language(session, viewer, viewer.user, locale)
    response = redirect(viewer.request, back_path(viewer.request))
    set_language_cookie(response, viewer.request, locale)
    return response


async def _save_language(session: AsyncSession, viewer: Viewer, user: User, locale: Locale) -> None:
    """`metadata.preferences.language`, through the same service as `PATCH /api/v1/users/me`."""
    metadata: dict[str, Any] = dict(user.meta)
    preferences = metadata.get("preferences")
    metadata["preferences"] = {**(preferences if isinstance(preferences, dict) else {}), "language": locale}
    session_id = viewer.claims.session_id if viewer.claims else None
    await users_service.update_me(
        session, user, UserUpdate(metadata=metadata), viewer.context, current_session_id=session_id
    )
