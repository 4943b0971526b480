"""The browser's session cookie and the CSRF tokens of its forms.

The cookie holds a signed token naming a row of `auth_sessions`, the same row the API's token pair
names: logging out (here or through the API) or revoking the session ends both, because every page
checks that row is live. Forms carry a token derived from a per-browser nonce and the session id,
so another site can neither read nor forge it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from fastapi import Request, Response

from ai_goals_tracker.auth.security import TokenClaims, decode_token, encode_token, new_token_id
from ai_goals_tracker.auth.service import TokenSettings
from ai_goals_tracker.errors import UnauthorizedError

SESSION_COOKIE = "aigt_session"
CSRF_COOKIE = "aigt_csrf"
CSRF_FIELD = "csrf_token"
LANGUAGE_COOKIE = "aigt_lang"
FLASH_COOKIE = "aigt_flash"
_CSRF_COOKIE_AGE = timedelta(days=365)


def _secure(request: Request) -> bool:
    """Secure cookies behind HTTPS (uvicorn applies X-Forwarded-Proto from trusted proxies)."""
    return request.url.scheme == "https"


def session_token(tokens: TokenSettings, user_id: str, session_id: str) -> str:
    """A token for the cookie, living as long as the server-side session it names."""
    return encode_token(
        tokens.secret,
        kind="access",
        user_id=user_id,
        session_id=session_id,
        token_id=new_token_id(),
        lifetime=tokens.refresh_lifetime,
    )


def session_claims(request: Request, tokens: TokenSettings) -> TokenClaims | None:
    """The cookie's claims when its signature and expiry hold; whether the session lives is the database's call."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return decode_token(tokens.secret, token, "access")
    except UnauthorizedError:
        return None


def set_session_cookie(response: Response, request: Request, token: str, lifetime: timedelta) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))


def csrf_nonce(request: Request) -> tuple[str, bool]:
    """This browser's nonce, and whether it is new (then the response must set it)."""
    nonce = request.cookies.get(CSRF_COOKIE)
    if nonce and 16 <= len(nonce) <= 64:
        return nonce, False
    return secrets.token_urlsafe(24), True


def set_csrf_cookie(response: Response, request: Request, nonce: str) -> None:
    response.set_cookie(
        CSRF_COOKIE,
        nonce,
        max_age=int(_CSRF_COOKIE_AGE.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


def csrf_token(secret: str, nonce: str, session_id: str | None) -> str:
    """Bound to the browser (nonce) and to the session: a token from before login is refused after it."""
    message = f"csrf:{nonce}:{session_id or ''}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def csrf_valid(secret: str, nonce: str | None, session_id: str | None, submitted: str | None) -> bool:
    if not nonce or not submitted:
        return False
    return hmac.compare_digest(csrf_token(secret, nonce, session_id), submitted)
