"""The dashboard's texts: the `web` gettext domain, whose message ids are keys (`task_status.todo`),
because the same English word takes different Spanish forms on different pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request

from ai_goals_tracker.i18n import (
    LOCALES,
    Locale,
    accepted_languages,
    as_locale,
    negotiate,
    preferred_language,
    translations,
)
from ai_goals_tracker.models import User

__all__ = ["LOCALES", "Locale", "Translate", "as_locale", "request_locale", "translator"]

Translate = Callable[..., str]


def translator(locale: Locale) -> Translate:
    catalog = translations("web", locale)

    def translate(key: str, **values: Any) -> str:
        # A missing key shows itself rather than failing the page; a test keeps the catalogs complete.
        template = catalog.gettext(key)
        return template.format(**values) if values else template

    return translate


def request_locale(request: Request, user: User | None) -> Locale:
    """The user's `metadata.preferences.language`; before sign-in, the switch's cookie or the browser's."""
    preference = preferred_language(user.meta) if user is not None else None
    accepted = accepted_languages(request.headers.get("accept-language"))
    return negotiate(preference, request.cookies.get("aigt_lang"), *accepted)
