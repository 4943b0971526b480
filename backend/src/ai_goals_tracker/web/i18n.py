"""The dashboard's texts: one file per language in `locales/`, with the same keys in each."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

from fastapi import Request

from ai_goals_tracker.models import User
from ai_goals_tracker.snapshots.jobs import user_locale

Locale = Literal["es", "en"]
LOCALES: tuple[Locale, ...] = get_args(Locale)
LOCALE_DIR = Path(__file__).parent / "locales"
Translate = Callable[..., str]


@cache
def texts(locale: Locale) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((LOCALE_DIR / f"{locale}.json").read_text(encoding="utf-8"))
    return loaded


def translator(locale: Locale) -> Translate:
    table = texts(locale)

    def translate(key: str, **values: Any) -> str:
        # A missing key shows itself rather than failing the page; a test keeps the files complete.
        template = table.get(key, key)
        return template.format(**values) if values else template

    return translate


def as_locale(value: str | None) -> Locale | None:
    code = (value or "").strip().lower().replace("_", "-").split("-")[0]
    return "es" if code == "es" else "en" if code == "en" else None


def request_locale(request: Request, user: User | None) -> Locale:
    """The user's `metadata.preferences.language`; before sign-in, the switch's cookie or the browser's."""
    if user is not None:
        return user_locale(user)
    chosen = as_locale(request.cookies.get("aigt_lang"))
    if chosen is not None:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        browser = as_locale(part.split(";")[0])
        if browser is not None:
            return browser
    return "en"
