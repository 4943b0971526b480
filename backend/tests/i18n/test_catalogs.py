"""No string left behind: every message the code marks is in the catalogs, translated into both
languages, with the same placeholders, and the catalogs hold nothing the code no longer uses."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from ai_goals_tracker.i18n import DOMAINS, KEYED_DOMAINS, LOCALE_DIR, LOCALES, SOURCE_LOCALE, Domain, Locale
from ai_goals_tracker.models.enums import CourseStatus, GoalPriority, GoalStatus, TaskStatus, TaskType
from ai_goals_tracker.review.models import CriterionStatus, Severity

PACKAGE = LOCALE_DIR.parents[1]
# The markers `make messages` extracts for each domain (see the Makefile); the dashboard's ids are
# keys passed to `t(...)` in its templates and views.
KEYWORDS: dict[Domain, dict[str, Any]] = {
    "api": {"N_": None, "NP_": (1, 2)},
    "cli": {"_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "framework_text": None},
    "web": {"t": None},
}
SOURCES: dict[Domain, list[tuple[Path, list[tuple[str, str]]]]] = {
    "api": [(PACKAGE, [("**.py", "python")])],
    "cli": [(PACKAGE / "cli", [("**.py", "python")]), (PACKAGE, [("client.py", "python")])],
    "web": [(PACKAGE / "web", [("**.py", "python"), ("templates/**.html", "jinja2")])],
}
# Dashboard keys built from a prefix and a value: every value they can take.
COMPUTED_WEB_KEYS = {
    "task_status": list(TaskStatus),
    "goal_status": list(GoalStatus),
    "course_status": list(CourseStatus),
    "priority": list(GoalPriority),
    "task_type": list(TaskType),
    "severity": list(Severity),
    "criterion": [*CriterionStatus, "unchecked", "undecided"],
    "review.state": ["passed", "failed", "pending", "awaiting_judgement", "not_reviewed"],
    "task.review_by": ["check", "learner", "owner", "waiting"],
    "criterion.by": ["check", "llm", "learner.met", "learner.not_met", "owner.met", "owner.not_met"],
    "task.action": ["in_progress", "completed", "skipped", "todo"],
    "task.now": list(TaskStatus),
    "entity": ["course", "goal", "task", "code", "code_snapshot"],
    "language": ["en", "es"],
    "register": ["email", "username", "password", "full_name"],
    "error": [f"{status}.title" for status in (403, 404, 409, 413, 422, 429, 503)],
    "submit.closed": ["completed", "skipped"],
    "suggest.lead": ["catalog", "llm"],
    "chart": ["actual_hours", "estimated_hours"],
}


def catalog(domain: Domain, locale: Locale) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po").open("rb") as source:
        return read_po(source, locale=locale, domain=domain)


def translated_locales(domain: Domain) -> list[Locale]:
    """The catalogs a domain needs: its message ids are English, except where they are keys."""
    return [locale for locale in LOCALES if domain in KEYED_DOMAINS or locale != SOURCE_LOCALE]


def entries(domain: Domain, locale: Locale) -> Iterator[Message]:
    return (message for message in catalog(domain, locale) if message.id)


@cache
def marked_in_code(domain: Domain) -> frozenset[str]:
    found: set[str] = set()
    for root, method_map in SOURCES[domain]:
        for _file, _line, message, _comments, _context in extract_from_dir(
            root, method_map, keywords=KEYWORDS[domain], comment_tags=()
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    if domain == "web":
        # `t(f"task.now.{status}")` and friends: a prefix, not an id.
        found = {key for key in found if not key.endswith(".")}
        found |= {f"{prefix}.{value}" for prefix, values in COMPUTED_WEB_KEYS.items() for value in values}
    return frozenset(found)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_the_code_marks_is_in_each_catalog(domain: Domain) -> None:
    for locale in translated_locales(domain):
        ids = {message.id[0] if isinstance(message.id, tuple) else message.id for message in entries(domain, locale)}
        missing = marked_in_code(domain) - ids
        assert not missing, f"{locale}/{domain}.po lacks {sorted(missing)}: run `make messages` and translate them"


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_id_has_both_translations(domain: Domain) -> None:
    for locale in translated_locales(domain):
        for message in entries(domain, locale):
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(form.strip() for form in forms), f"{locale}/{domain}.po: {message.id!r} is not translated"
            assert not message.fuzzy, f"{locale}/{domain}.po: {message.id!r} is only a guess (fuzzy)"


@pytest.mark.parametrize("domain", DOMAINS)
def test_translations_keep_the_placeholders_of_their_message(domain: Domain) -> None:
    for locale in translated_locales(domain):
        for message in entries(domain, locale):
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            # A key's placeholders are those of its English text.
            expected = placeholders(catalog(domain, "en")[ids[0]].string) if domain in KEYED_DOMAINS else None
            for form in forms:
                wanted = expected if expected is not None else placeholders(ids[-1])
                # A translation may leave out the count ("un carácter"), never add or rename a value.
                assert placeholders(form) <= wanted | {"count"}, f"{locale}/{domain}.po: {form!r} vs {ids!r}"


def test_the_dashboards_languages_have_the_same_keys() -> None:
    assert {m.id for m in entries("web", "en")} == {m.id for m in entries("web", "es")}


def test_the_catalogs_keep_no_message_the_code_no_longer_uses() -> None:
    for domain in DOMAINS:
        for locale in translated_locales(domain):
            unused = {m.id[0] if isinstance(m.id, tuple) else m.id for m in entries(domain, locale)}
            unused -= marked_in_code(domain)
            assert not unused, f"{locale}/{domain}.po keeps ids no code uses: {sorted(unused)}"
            # `make messages` comments out what the code dropped; the catalog should not carry it.
            assert not catalog(domain, locale).obsolete


def test_a_spanish_translation_reads_as_spanish() -> None:
    """A guard against a catalog filled by copying: most Spanish texts differ from their English id."""
    for domain in ("api", "cli"):
        same = [m.id for m in entries(domain, "es") if m.string == m.id and re.search(r"[a-z]{4} [a-z]{4}", m.id)]
        assert not same, f"es/{domain}.po copies English: {same}"
