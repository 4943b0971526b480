"""The browser's session cookie and the CSRF tokens of its forms, and how every cookie of the
dashboard is set.

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
from typing import Literal

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
_LANGUAGE_COOKIE_AGE = timedelta(days=365)
_FLASH_COOKIE_AGE = timedelta(minutes=1)


def _secure(request: Request) -> bool:
    """Secure cookies behind HTTPS: the request's own scheme, or the one a proxy named in
    `X-Forwarded-Proto`, which uvicorn applies only from AIGT_TRUSTED_PROXIES (`aigt serve`)."""
    return request.url.scheme == "https"


def set_cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    lifetime: timedelta,
    *,
    samesite: Literal["lax", "strict"] = "lax",
) -> None:
    """Every cookie of the dashboard: out of reach of script (no script of ours reads one), not sent
    with another site's forms, and over HTTPS only when the request came over it."""
    response.set_cookie(
        name,
        value,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite=samesite,
        secure=_secure(request),
        path="/",
    )


def delete_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=_secure(request))


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
    set_cookie(response, request, SESSION_COOKIE, token, lifetime)


def clear_session_cookie(response: Response, request: Request) -> None:
    delete_cookie(response, request, SESSION_COOKIE)


def set_language_cookie(response: Response, request: Request, locale: str) -> None:
    """The language chosen with the switch, or the signed-in learner's, for the pages before sign-in."""
    set_cookie(response, request, LANGUAGE_COOKIE, locale, _LANGUAGE_COOKIE_AGE)


def set_flash_cookie(response: Response, request: Request, message: str) -> None:
    """A message for the page the browser is sent to next, which deletes it once shown."""
    set_cookie(response, request, FLASH_COOKIE, message, _FLASH_COOKIE_AGE)


def csrf_nonce(request: Request) -> tuple[str, bool]:
    """This browser's nonce, and whether it is new (then the response must set it)."""
    nonce = request.cookies.get(CSRF_COOKIE)
    if nonce and 16 <= len(nonce) <= 64:
        return nonce, False
    return secrets.token_urlsafe(24), True


def set_csrf_cookie(response: Response, request: Request, nonce: str) -> None:
    set_cookie(response, request, CSRF_COOKIE, nonce, _CSRF_COOKIE_AGE, samesite="strict")


def csrf_token(secret: str, nonce: str, session_id: str | None) -> str:
    """Bound to the browser (nonce) and to the session: a token from before login is refused after it."""
    message = f"csrf:{nonce}:{session_id or ''}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def csrf_valid(secret: str, nonce: str | None, session_id: str | None, submitted: str | None) -> bool:
    if not nonce or not submitted:
        return False
    return hmac.compare_digest(csrf_token(secret, nonce, session_id), submitted)
