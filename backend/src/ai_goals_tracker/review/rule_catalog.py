"""Learner-facing texts and calibration for every rule an analyzer can report, from rule_catalog.json.

Keys are ruff codes (`F401`, `B006`, `PLE0101`…), `sec-NNN` for a security check that ruff (`SNNN`) and
bandit (`BNNN`) both implement under the same number, and the project's own rule ids (`hardcoded-secret`…).
Texts use `{0}`, `{1}`… for the backtick-quoted fragments of the analyzer's own message, in order, and
`{name}`-style placeholders for values the project's analyzers pass by name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ai_goals_tracker.review.models import Category, FindingType, Locale, Severity

# Learner code can put very long expressions into an analyzer message (SIM108 quotes a whole ternary).
MAX_FRAGMENT_CHARS = 80

# ruff's flake8-bandit rules are S1xx–S7xx and bandit's tests B1xx–B7xx; flake8-bugbear's B0xx and B9xx
# are other rules that happen to share the letter.
_SECURITY_RULE = re.compile(r"[SB]([1-7]\d{2})")
_FRAGMENT = re.compile(r"`([^`]*)`")
# A placeholder with its backticks and parentheses, if any, and the space before it, so a missing value
# is cut out without leaving "``", "()" or a double space behind.
_PLACEHOLDER = re.compile(r"(?P<space> ?)(?P<open>\()?(?P<tick>`?)\{(?P<key>\w+)\}(?P=tick)(?(open)\))")


@dataclass(frozen=True, slots=True)
class RuleText:
    name: str
    category: Category
    severity: Severity
    type: FindingType
    en: str
    es: str
    hint_en: str
    hint_es: str
    why: str | None = None
    cwe: str | None = None

    def message(self, locale: Locale) -> str:
        return self.es if locale == "es" else self.en

    def hint(self, locale: Locale) -> str:
        return self.hint_es if locale == "es" else self.hint_en


def catalog_key(analyzer_rule: str) -> str:
    """The catalog key of an analyzer's rule: ruff's `S608` and bandit's `B608` share `sec-608`."""
    match = _SECURITY_RULE.fullmatch(analyzer_rule)
    return f"sec-{match.group(1)}" if match else analyzer_rule


def rule_text(key: str) -> RuleText | None:
    return _catalog().get(key)


def all_rules() -> Mapping[str, RuleText]:
    return _catalog()


def message_fragments(analyzer_message: str) -> list[str]:
    """The backtick-quoted parts of an analyzer's message, in order: the values `{0}`, `{1}`… stand for."""
    return _FRAGMENT.findall(analyzer_message)


def render(entry: RuleText, locale: Locale, fragments: Sequence[str], **named: object) -> tuple[str, str | None]:
    """(message, hint) in the learner's language; a placeholder with no value is cut out cleanly."""
    hint = entry.hint(locale)
    return _fill(entry.message(locale), fragments, named), (_fill(hint, fragments, named) or None)


def _fill(template: str, fragments: Sequence[str], named: Mapping[str, object]) -> str:
    def substitute(match: re.Match[str]) -> str:
        value = _value(match.group("key"), fragments, named)
        if value is None:
            return ""
        opening, tick = match.group("open") or "", match.group("tick")
        closing = ")" if opening else ""
        return f"{match.group('space')}{opening}{tick}{value}{tick}{closing}"

    # One pass: text coming from the learner's code is inserted, never scanned for placeholders again.
    return _PLACEHOLDER.sub(substitute, template)


def _value(key: str, fragments: Sequence[str], named: Mapping[str, object]) -> str | None:
    if key.isdigit():
        index = int(key)
        raw: object = fragments[index] if index < len(fragments) else None
    else:
        raw = named.get(key)
    if raw is None or str(raw) == "":
        return None
    text = str(raw)
    return text if len(text) <= MAX_FRAGMENT_CHARS else text[: MAX_FRAGMENT_CHARS - 1] + "…"


@cache
def _catalog() -> dict[str, RuleText]:
    source = resources.files("ai_goals_tracker.review").joinpath("rule_catalog.json")
    raw: dict[str, dict[str, Any]] = json.loads(source.read_text(encoding="utf-8"))
    return {key: _rule_text(fields) for key, fields in raw.items()}


def _rule_text(fields: Mapping[str, Any]) -> RuleText:
    return RuleText(
        name=str(fields["name"]),
        category=Category(fields["category"]),
        severity=Severity(fields["severity"]),
        type=FindingType(fields["type"]),
        en=str(fields["en"]),
        es=str(fields["es"]),
        hint_en=str(fields["hint_en"]),
        hint_es=str(fields["hint_es"]),
        why=fields.get("why"),
        cwe=fields.get("cwe"),
    )
