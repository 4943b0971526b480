"""Who is calling: `CurrentUser`, `CurrentSuperuser`, and the token settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from ai_goals_tracker.auth import repository
from ai_goals_tracker.auth.security import SESSION_ENDED, TokenClaims, decode_token
from ai_goals_tracker.auth.service import TokenSettings
from ai_goals_tracker.db.session import SessionDep
from ai_goals_tracker.errors import ForbiddenError, UnauthorizedError
from ai_goals_tracker.i18n import N_
from ai_goals_tracker.models import User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)


# Dependencies that do no I/O are `async def` all the same: FastAPI runs a plain `def` in a worker
# thread, a hand-off that costs more than the work itself on every request.
async def get_token_settings(request: Request) -> TokenSettings:
    tokens: TokenSettings = request.app.state.token_settings
    return tokens


TokenSettingsDep = Annotated[TokenSettings, Depends(get_token_settings)]


@dataclass(frozen=True)
class Authenticated:
    user: User
    session_id: str


async def get_access_claims(
    tokens: TokenSettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> TokenClaims:
    """The access token's claims, checked for signature and expiry only (no database)."""
    if not token:
        raise UnauthorizedError()
    return decode_token(tokens.secret, token, "access")


AccessClaims = Annotated[TokenClaims, Depends(get_access_claims)]


async def get_authenticated(session: SessionDep, claims: AccessClaims) -> Authenticated:
    user = await repository.get_user_in_live_session(session, claims.user_id, claims.session_id)
    if user is None:
        raise UnauthorizedError(SESSION_ENDED)
    return Authenticated(user=user, session_id=claims.session_id)


async def get_current_user(auth: Annotated[Authenticated, Depends(get_authenticated)]) -> User:
    return auth.user


async def get_current_superuser(user: Annotated[User, Depends(get_current_user)]) -> User:
    if not user.is_superuser:
        raise ForbiddenError(N_("Only superusers may do this"))
    return user


AuthenticatedDep = Annotated[Authenticated, Depends(get_authenticated)]
CurrentUser = Annotated[User, Depends(get_current_user)]
CurrentSuperuser = Annotated[User, Depends(get_current_superuser)]
