"""The rule catalogue: for every rule an analyzer can emit, its calibrated level and its texts in es and en.

`rule_catalog.json` has one entry per rule: ruff's rules by code (`F401`), the security rules that
ruff (`S608`) and bandit (`B608`) share under one number as `sec-608`, and the project's own rules
by name (`jwt-no-verify`). `{0}`, `{1}`… in a text stand for the backtick-quoted fragments of the
analyzer's own message (identifiers, which have no language); named placeholders such as `{name}`
are filled by the caller.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

# bandit's tests and ruff's S rules are numbered 1xx-7xx; ruff's bugbear rules (B0xx, B9xx) are not them.
_SHARED_SECURITY_NUMBER = re.compile(r"[SB]([1-7]\d{2})")
_PLACEHOLDER_GAP = re.compile(r"\s*`?\{[^{}]*\}`?")


@dataclass(frozen=True, slots=True)
class RuleText:
    key: str
    name: str
    category: str
    severity: str
    type: str
    en: str
    es: str
    hint_en: str | None
    hint_es: str | None


def catalog_key(analyzer_rule: str) -> str:
    """`S608` and `B608` are one rule, `sec-608`; anything else is its own key."""
    match = _SHARED_SECURITY_NUMBER.fullmatch(analyzer_rule)
    return f"sec-{match.group(1)}" if match else analyzer_rule


@cache
def _catalog() -> Mapping[str, RuleText]:
    raw: dict[str, dict[str, Any]] = json.loads(
        resources.files("ai_goals_tracker.review").joinpath("rule_catalog.json").read_text(encoding="utf-8")
    )
    return {
        key: RuleText(
            key=key,
            name=str(entry.get("name", key)),
            category=entry["category"],
            severity=entry["severity"],
            type=entry["type"],
            en=entry["en"],
            es=entry["es"],
            hint_en=entry.get("hint_en") or None,
            hint_es=entry.get("hint_es") or None,
        )
        for key, entry in raw.items()
    }


def all_rules() -> Mapping[str, RuleText]:
    return _catalog()


def rule_text(key: str) -> RuleText | None:
    return _catalog().get(key)


def render(
    entry: RuleText, locale: Literal["es", "en"], fragments: Sequence[str] = (), **named: object
) -> tuple[str, str | None]:
    """(message, hint) in `locale` with placeholders filled; a missing value drops its placeholder."""
    message = entry.es if locale == "es" else entry.en
    hint = entry.hint_es if locale == "es" else entry.hint_en
    return _fill(message, fragments, named), _fill(hint, fragments, named) if hint else None


def _fill(template: str, fragments: Sequence[str], named: Mapping[str, object]) -> str:
    wanted = [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]
    available = all((field.isdigit() and int(field) < len(fragments)) or field in named for field in wanted)
    if available:
        return template.format(*fragments, **named)
    return _PLACEHOLDER_GAP.sub("", template).strip()
