"""Signing in and out: tokens and sessions. Accounts (`POST /auth/register` among them) are `users`'."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from ai_goals_tracker.auth import service
from ai_goals_tracker.auth.deps import AuthenticatedDep, TokenSettingsDep
from ai_goals_tracker.auth.schemas import RefreshRequest, TokenPair
from ai_goals_tracker.db.engine import unit_of_work
from ai_goals_tracker.db.session import SessionDep, UnitOfWorkRoute
from ai_goals_tracker.deps import SettingsDep
from ai_goals_tracker.errors import UnauthorizedError
from ai_goals_tracker.events.types import ChangeContextDep
from ai_goals_tracker.i18n import N_

router = APIRouter(route_class=UnitOfWorkRoute, prefix="/auth", tags=["auth"])


@router.post("/login")
async def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    tokens: TokenSettingsDep,
    context: ChangeContextDep,
) -> TokenPair:
    """OAuth2 password flow: `username` may be the username or the email."""
    attempt_id = await service.count_login_attempt(
        request.app.state.sessionmaker,
        login=form.username,
        ip_address=context.ip_address or "unknown",
        limits=service.GuessLimits.from_settings(settings),
    )
    return await service.login(
        session, tokens, login=form.username, password=form.password, context=context, attempt_id=attempt_id
    )


@router.post("/refresh")
async def refresh(request: Request, data: RefreshRequest, tokens: TokenSettingsDep) -> TokenPair:
    # Its own transaction: a detected reuse must commit the revocation even though it answers 401.
    async with unit_of_work(request.app.state.sessionmaker) as session:
        outcome = await service.refresh(session, tokens, data.refresh_token)
    if outcome.pair is None:
        raise UnauthorizedError(outcome.refused or N_("Invalid refresh token"))
    return outcome.pair


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(auth: AuthenticatedDep, session: SessionDep, context: ChangeContextDep) -> Response:
    await service.logout(session, auth.user, auth.session_id, context)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
