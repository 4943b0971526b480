"""The dashboard's routes in one router, every form checked against CSRF."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ai_goals_tracker.auth.deps import TokenSettingsDep
from ai_goals_tracker.errors import ForbiddenError
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.web import account, actions, pages
from ai_goals_tracker.web.session import CSRF_COOKIE, CSRF_FIELD, csrf_valid, session_claims


async def check_csrf(request: Request, tokens: TokenSettingsDep) -> None:
    """Every state-changing request must carry the token its form was rendered with."""
    if request.method in ("GET", "HEAD"):
        return
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    claims = session_claims(request, tokens)
    if not csrf_valid(
        tokens.secret,
        request.cookies.get(CSRF_COOKIE),
        claims.session_id if claims else None,
        submitted if isinstance(submitted, str) else None,
    ):
        raise ForbiddenError(N_("This form has expired or did not come from this site; reload the page and try again"))


router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
for module in (account, pages, actions):
    router.include_router(module.router)
