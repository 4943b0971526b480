"""Who is looking and in which language, and how a page is rendered for them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ai_goals_tracker.auth.deps import TokenSettingsDep
from ai_goals_tracker.auth.repository import get_user_in_live_session
from ai_goals_tracker.auth.security import TokenClaims
from ai_goals_tracker.db.session import SessionDep
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.models import User
from ai_goals_tracker.review.criteria import describe
from ai_goals_tracker.web import STATIC_PATH
from ai_goals_tracker.web.i18n import LOCALES, Locale, Translate, request_locale, translator
from ai_goals_tracker.web.markdown import render_feedback, render_inline
from ai_goals_tracker.web.session import (
    FLASH_COOKIE,
    LANGUAGE_COOKIE,
    csrf_nonce,
    csrf_token,
    delete_cookie,
    session_claims,
    set_csrf_cookie,
    set_flash_cookie,
    set_language_cookie,
)
from ai_goals_tracker.web.views import review_decided_by, submits_code, task_actions

templates = Environment(
    loader=PackageLoader("ai_goals_tracker.web", "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.globals["static"] = STATIC_PATH
templates.globals["locales"] = LOCALES


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _day(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d") if moment else "—"


def _hours(value: float | None) -> str:
    return f"{value:g}" if value is not None else "—"


def _percent(fraction: float | None) -> str:
    """A share (0 to 1) as a whole percentage; below zero (a cosine score can be) reads as 0 %."""
    return f"{round(max(0.0, min(1.0, fraction)) * 100)} %" if fraction is not None else "—"


templates.filters.update(
    when=_when, day=_day, hours=_hours, percent=_percent, feedback=render_feedback, inline=render_inline
)
templates.globals.update(
    task_actions=task_actions, submits_code=submits_code, describe=describe, review_decided_by=review_decided_by
)


class SignInRequired(Exception):
    """A page for signed-in users was asked for without a live session: the answer is the login page."""


@dataclass(frozen=True)
class Flash:
    kind: str
    text: str


@dataclass
class Viewer:
    """The request as a page sees it: the signed-in user (if any), their language and the form token."""

    request: Request
    locale: Locale
    t: Translate
    csrf: str
    nonce: str
    new_nonce: bool
    user: User | None
    claims: TokenClaims | None
    flash: Flash | None = None

    @property
    def context(self) -> ChangeContext:
        """Changes made from the dashboard are recorded with `"source": "web"`."""
        client = self.request.client
        return ChangeContext(
            source="web", ip_address=client.host if client else None, user_agent=self.request.headers.get("user-agent")
        )


@dataclass
class Learner(Viewer):
    """A viewer with a live session."""

    user: User = field(kw_only=True)
    claims: TokenClaims = field(kw_only=True)


async def _viewer(request: Request, session: SessionDep, tokens: TokenSettingsDep) -> Viewer:
    claims = session_claims(request, tokens)
    user = await get_user_in_live_session(session, claims.user_id, claims.session_id) if claims else None
    locale = request_locale(request, user)
    # Errors raised later in the request are shown in the same language (web/routing.py).
    request.state.locale = locale
    nonce, new_nonce = csrf_nonce(request)
    return Viewer(
        request=request,
        locale=locale,
        t=translator(locale),
        csrf=csrf_token(tokens.secret, nonce, claims.session_id if claims else None),
        nonce=nonce,
        new_nonce=new_nonce,
        user=user,
        claims=claims if user is not None else None,
        flash=_read_flash(request),
    )


async def _learner(viewer: Annotated[Viewer, Depends(_viewer)]) -> Learner:
    if viewer.user is None or viewer.claims is None:
        raise SignInRequired
    return Learner(**{part.name: getattr(viewer, part.name) for part in fields(viewer)})


ViewerDep = Annotated[Viewer, Depends(_viewer)]
LearnerDep = Annotated[Learner, Depends(_learner)]


def render(viewer: Viewer, template: str, *, status_code: int = 200, **values: Any) -> HTMLResponse:
    page = templates.get_template(template).render(
        t=viewer.t,
        locale=viewer.locale,
        csrf=viewer.csrf,
        user=viewer.user,
        flash=viewer.flash,
        path=viewer.request.url.path,
        **values,
    )
    response = HTMLResponse(page, status_code=status_code)
    if viewer.new_nonce:
        set_csrf_cookie(response, viewer.request, viewer.nonce)
    if viewer.flash is not None:
        delete_cookie(response, viewer.request, FLASH_COOKIE)
    if viewer.user is not None and viewer.request.cookies.get(LANGUAGE_COOKIE) != viewer.locale:
        # Mirrors the preference so that the login page after sign-out speaks the same language.
        set_language_cookie(response, viewer.request, viewer.locale)
    return response


def redirect(request: Request, url: str, flash: Flash | None = None) -> RedirectResponse:
    """303: after a form, the browser follows with a GET."""
    response = RedirectResponse(url, status_code=303)
    if flash is not None:
        set_flash_cookie(response, request, quote(json.dumps([flash.kind, flash.text])))
    return response


def _read_flash(request: Request) -> Flash | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        kind, text = json.loads(unquote(raw))
    except (ValueError, TypeError):
        return None
    return Flash(kind=str(kind), text=str(text)[:500])


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to; anything naming another host is ignored. Browsers drop tabs and
    line breaks from a URL (and read `\\` as `/`), so `/<TAB>/host` would name a host: refused."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
        return target
    return default


def back_path(request: Request) -> str:
    """The page a form was sent from (same origin only), to return to after handling it."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return "/"
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
