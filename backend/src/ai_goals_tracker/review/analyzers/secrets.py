"""Hard-coded secrets in any language, by line-oriented regular expressions.

Every pattern is linear (no nested quantifiers) and lines are capped in length, so a hostile file
costs time proportional to its size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE_CHARS = 4096

# A quoted literal of at least 4 characters assigned (=, :, :=, =>) to a name, perhaps type-annotated.
_ASSIGNED_LITERAL = re.compile(
    r"""(?P<name>[A-Za-z_$][\w$]{0,60})["']?(?:\s*:\s*[\w.|\[\] ]{1,40}?)?\s*(?::=|=>|=|:)\s*"""
    r"""(?:[rbuf]{0,2})(?P<quote>["'`])(?P<value>[^"'`\s]{4,200})(?P=quote)"""
)
# Compared with the name lower-cased and stripped of separators, so db_password and dbPassword match.
_SECRET_NAME_ENDINGS = (
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "secretkey",
    "apikey",
    "accesskey",
    "token",
    "privatekey",
    "credential",
    "credentials",
)
_PLACEHOLDER = re.compile(
    r"^(?:x+|\*+|\.+|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|your[_-].*|changeme|example.*|dummy|test)$", re.I
)


@dataclass(frozen=True, slots=True)
class SecretHit:
    rule: str
    line: int
    name: str


_TOKEN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("secret-private-key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
    ("secret-aws-access-key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("secret-github-token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("secret-openai-key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}\b")),
    ("secret-slack-token", re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}\b")),
    ("secret-google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("secret-stripe-key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{16,}\b")),
)


def find_secrets(code: str) -> list[SecretHit]:
    hits: list[SecretHit] = []
    for number, line in enumerate(code.splitlines(), start=1):
        hits.extend(_secrets_in_line(line[:MAX_LINE_CHARS], number))
    return hits


def _secrets_in_line(line: str, number: int) -> list[SecretHit]:
    for rule, pattern in _TOKEN_PATTERNS:
        if pattern.search(line):
            return [SecretHit(rule, number, rule.removeprefix("secret-"))]
    for match in _ASSIGNED_LITERAL.finditer(line):
        name, value = match.group("name"), match.group("value")
        if _names_a_secret(name) and not _PLACEHOLDER.match(value):
            return [SecretHit("secret-hardcoded-credential", number, name)]
    return []


def _names_a_secret(name: str) -> bool:
    normalized = name.lower().replace("_", "").replace("-", "").lstrip("$")
    return normalized.endswith(_SECRET_NAME_ENDINGS)
