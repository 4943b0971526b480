"""The product's own texts in Spanish and English, and the one rule that picks the language.

Texts live in gettext catalogs, one domain per surface: `api` (error messages of the API, shown by
every client), `cli` (what `aigt` prints) and `web` (the dashboard). The `.po` files under
`locales/` are the source of truth: they are compiled in memory with Babel the first time a domain
is used, so no compiled `.mo` can fall behind them. `make messages` extracts the message ids from
the code into the `.pot` templates and merges them into each language's `.po` (see docs/i18n.md).

The language: an explicit choice for one command (`aigt --lang`), else the learner's
`metadata.preferences.language`, else an override that applies before sign-in (the dashboard's
language switch), else what the client asks for (`Accept-Language`, or `LC_ALL`/`LC_MESSAGES`/`LANG`
for the command line), else English. Every surface calls `negotiate` with its candidates in that order.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any, Literal, NewType, Protocol, get_args

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

Locale = Literal["es", "en"]
LOCALES: tuple[Locale, ...] = get_args(Locale)
DEFAULT_LOCALE: Locale = "en"
Domain = Literal["api", "cli", "web"]
DOMAINS: tuple[Domain, ...] = get_args(Domain)
LOCALE_DIR = Path(__file__).parent / "locales"
# The language the message ids are written in, and the domains whose ids are keys instead.
SOURCE_LOCALE: Locale = "en"
KEYED_DOMAINS: frozenset[Domain] = frozenset({"web"})

# A message id marked for extraction: the English text, with `{named}` placeholders filled later in
# the reader's language. Functions that show a text to a learner take a `Message`, not any `str`, so
# mypy refuses a sentence that never went through `N_` and would be missing from the catalogs.
Message = NewType("Message", str)


def N_(text: str) -> Message:
    """gettext's conventional name for "mark now, translate later"."""
    return Message(text)


def NP_(singular: str, plural: str) -> tuple[Message, Message]:
    """A singular and its plural marked for extraction together (`-k NP_:1,2`)."""
    return Message(singular), Message(plural)


def as_locale(value: str | None) -> Locale | None:
    """`es`, `es-MX`, `es_ES.UTF-8`, `EN` → a language we speak; anything else → None."""
    code = (value or "").strip().lower().replace("_", "-").split(".")[0].split("-")[0]
    return "es" if code == "es" else "en" if code == "en" else None


def negotiate(*candidates: str | None) -> Locale:
    """The first candidate naming a language we speak, in the caller's order of precedence; else English."""
    for candidate in candidates:
        locale = as_locale(candidate)
        if locale is not None:
            return locale
    return DEFAULT_LOCALE


def accepted_languages(header: str | None) -> list[str]:
    """An `Accept-Language` header's languages, most wanted first (`q=0` means "not this one")."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        language, _, parameters = part.strip().partition(";")
        weight = 1.0
        if parameters.strip().startswith("q="):
            try:
                weight = float(parameters.strip()[2:])
            except ValueError:
                continue
        if language and weight > 0:
            ranked.append((-weight, position, language))
    return [language for _, _, language in sorted(ranked)]


def system_languages(environ: Mapping[str, str]) -> list[str]:
    """The POSIX locale variables in their order of precedence, then GNU's `LANGUAGE` list."""
    chosen = [environ.get(name) for name in ("LC_ALL", "LC_MESSAGES", "LANG")]
    return [value for value in chosen if value] + environ.get("LANGUAGE", "").split(":")


def preferred_language(metadata: Mapping[str, Any] | None) -> str | None:
    """A user's `metadata.preferences.language` as they set it (`es`, `es-MX`, `en`…), if any."""
    preferences = (metadata or {}).get("preferences")
    language = preferences.get("language") if isinstance(preferences, Mapping) else None
    return language if isinstance(language, str) else None


class HasMetadata(Protocol):
    @property
    def meta(self) -> dict[str, Any]: ...


def user_locale(user: HasMetadata | None) -> Locale:
    """The language a signed-in user reads when nothing overrides their preference."""
    return negotiate(preferred_language(user.meta) if user is not None else None)


@cache
def translations(domain: Domain, locale: Locale) -> gettext.NullTranslations:
    """A domain's catalog for one language, compiled from its `.po` in memory (fuzzy entries left out).
    The `api` and `cli` message ids are the English texts themselves; the `web` ids are keys, so
    the dashboard has an English catalog too."""
    if locale == SOURCE_LOCALE and domain not in KEYED_DOMAINS:
        return gettext.NullTranslations()
    with (LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po").open("rb") as source:
        catalog = read_po(source, locale=locale, domain=domain)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def translate(domain: Domain, locale: Locale, message: str, params: Mapping[str, object] | None = None) -> str:
    """`message` in `locale`, its placeholders filled; a message without parameters is not formatted,
    so its braces (a JSON example, say) stay as written."""
    text = translations(domain, locale).gettext(message)
    return text.format(**params) if params else text


def translate_plural(
    domain: Domain, locale: Locale, singular: str, plural: str, count: int, params: Mapping[str, object] | None = None
) -> str:
    """The form of `singular`/`plural` for `count` in `locale`; `{count}` is always available."""
    text = translations(domain, locale).ngettext(singular, plural, count)
    return text.format(count=count, **(params or {}))
