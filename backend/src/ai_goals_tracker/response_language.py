"""The language of an API response: the caller's preference when a valid access token names them,
else `Accept-Language`, else English. Worked out only when an error is answered, so the requests
that succeed pay nothing for it."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError

from ai_goals_tracker.auth.security import decode_token
from ai_goals_tracker.errors import AppError
from ai_goals_tracker.i18n import Locale, accepted_languages, negotiate, preferred_language
from ai_goals_tracker.users import repository as users


async def response_locale(request: Request, *, database_up: bool = True) -> Locale:
    """`database_up=False` when the database is what failed: asking it for the preference would only wait."""
    preference = await _caller_preference(request) if database_up else None
    return negotiate(preference, *accepted_languages(request.headers.get("accept-language")))


async def _caller_preference(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        claims = decode_token(request.app.state.token_settings.secret, token.strip(), "access")
    except AppError:
        return None
    try:
        async with request.app.state.read_sessionmaker() as session:
            return preferred_language(await users.get_metadata(session, claims.user_id))
    except (SQLAlchemyError, OSError):
        # The error being answered may be the database's own: answer it anyway, in the client's language.
        return None
