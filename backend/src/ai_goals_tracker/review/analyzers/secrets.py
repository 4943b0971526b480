"""Hard-coded secrets in any language, by line-oriented regular expressions.

Three signals: a known token format (AWS, GitHub, a private key, a JWT…); a literal that looks like a
credential assigned to, or compared with, a name that means a secret in English, Spanish or another
language learners write in (`password`, `contraseña`, `clave`, `secreto`, `api_key`…); and a long
random-looking literal (high entropy), whatever its name. The value is judged as well as the name:
`"token_type": "bearer"` or `PASSWORD_FIELD = "password"` name no secret.

Every pattern is linear (no nested quantifiers) and lines are capped in length, so a hostile file
costs time proportional to its size.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass

MAX_LINE_CHARS = 4096

# A quoted literal of at least 4 characters assigned (=, :, :=, =>) to, or compared (==, ===) with, a
# name, perhaps type-annotated.
_NAMED_LITERAL = re.compile(
    r"""(?P<name>[A-Za-z_$ñÑ][\w$]{0,60})["']?\]?(?:\s*:\s*[\w.|\[\] ]{1,40}?)?\s*(?::=|=>|={1,3}|:|!==?)\s*"""
    r"""(?:[rbuf]{0,2})(?P<quote>["'`])(?P<value>[^"'`\s]{4,200})(?P=quote)"""
)
# A key handed straight to an API client: `new WeatherClient("3f9a…")`, `Stripe('sk_…')`.
_CLIENT_LITERAL = re.compile(
    r"""(?P<name>[A-Za-z_$][\w$]{0,60})\s*\(\s*(?P<quote>["'`])(?P<value>[A-Za-z0-9_\-]{24,200})(?P=quote)"""
)
_CLIENT_WORDS = re.compile(r"client|api|key|token|auth|sdk|credential|secret", re.IGNORECASE)
# A key handed straight to an API client: `new WeatherClient("3f9a…")`, `Stripe('sk_…')`.
_CLIENT_LITERAL = re.compile(
    r"""(?P<name>[A-Za-z_$][\w$]{0,60})\s*\(\s*(?P<quote>["'`])(?P<value>[A-Za-z0-9_\-]{24,200})(?P=quote)"""
)
_CLIENT_WORDS = re.compile(r"client|api|key|token|auth|sdk|credential|secret", re.IGNORECASE)
# A JWT signed or checked with a key written in the call: `jwt.sign(payload, "mi_clave_123")`.
_SIGNING_LITERAL = re.compile(
    r"""\bjwt\.(?P<call>sign|verify|encode|decode)\(.{1,200}?,\s*(?P<quote>["'`])(?P<value>[^"'`\s]{4,200})(?P=quote)"""
)
_LITERAL = re.compile(r"""(?P<quote>["'`])(?P<value>[A-Za-z0-9+/=_\-.]{20,400})(?P=quote)""")
# Words of a name that make it a secret, after splitting snake_case and camelCase.
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "secret",
        "credential",
        "credentials",
        "apikey",
        "contrasena",
        "contraseña",
        "contrasenia",
        "clave",
        "secreto",
        "secreta",
        "credencial",
        "senha",
        "passwort",
        "motdepasse",
        "mdp",
        "contrasenya",
        "kennwort",
        "wachtwoord",
        "haslo",
        "sifre",
        "passord",
        "losenord",
        "salasana",
        "jelszo",
        "heslo",
        "lozinka",
        "geheim",
        "segredo",
        "senhas",
    }
)
# Secret when they end the name: `access_token`, `api_key`, `private_key`, `llave_privada`.
_SECRET_ENDINGS = frozenset(
    {"token", "apikey", "accesskey", "secretkey", "privatekey", "authkey", "llaveprivada", "motdepasse"}
    | {"clavesecreta", "claveprivada", "chiavesegreta", "chaveprivada", "cledapi", "claveapi", "chiaveapi"}
)
# The name says it holds something about a secret, not the secret itself.
_NOT_A_VALUE = frozenset(
    {
        "type",
        "field",
        "label",
        "hint",
        "url",
        "uri",
        "endpoint",
        "path",
        "file",
        "env",
        "var",
        "name",
        "header",
        "prefix",
        "length",
        "len",
        "min",
        "max",
        "regex",
        "pattern",
        "prompt",
        "id",
        "hash",
        "hashed",
        "policy",
        "reset",
        "mensaje",
        "message",
        "error",
        "campo",
        "tipo",
        "nombre",
        "column",
    }
)
_PLACEHOLDER = re.compile(
    r"^(?:x+|\*+|\.+|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|%\(?\w*\)?s|your[_-].*|tu[_-].*|changeme|cambiame|example.*"
    r"|ejemplo.*|dummy|test|none|null|undefined|bearer|basic|password|contrase(?:n|ñ)a|secret|secreto)$",
    re.IGNORECASE,
)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]+$")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-zñ0-9])(?=[A-Z])")


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
    ("secret-jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
)
# Bits per character above which a long literal is more likely a key than words or an identifier.
_ENTROPY_THRESHOLD = 4.2


# Names that mean "key" as much as "password" (`clave` in Spanish, `key`): their value and their use decide.
_AMBIGUOUS_WORDS = frozenset({"clave", "key", "llave", "chave"})
# An object key, a file name, a cache key or a config name: `fotos/2024/a.jpg`, `user:42`, `app.theme`.
_KEY_SHAPED = re.compile(r"^[\w.{}-]*[/:][\w./:{}-]*$|^[a-z_]+(?:\.[a-z_]+)+$|^[\w{}-]+\.[a-z0-9]{2,4}$")


def find_secrets(code: str) -> list[SecretHit]:
    hits: list[SecretHit] = []
    for number, line in enumerate(code.splitlines(), start=1):
        hit = _secret_in_line(line[:MAX_LINE_CHARS], number)
        if hit is not None and not _names_a_lookup_key(hit, line, code):
            hits.append(hit)
    return hits


def _names_a_lookup_key(hit: SecretHit, line: str, code: str) -> bool:
    """`clave = "fotos/perfil.jpg"` then `s3.get_object(Key=clave)`: an object key, not a credential."""
    if hit.rule != "secret-hardcoded-credential":
        return False
    words = name_words(hit.name)
    if not words or (words[-1] not in _AMBIGUOUS_WORDS and not (len(words) > 1 and words[0] in _AMBIGUOUS_WORDS)):
        return False
    value = next(
        (match.group("value") for match in _NAMED_LITERAL.finditer(line) if match.group("name") == hit.name), ""
    )
    if value and _KEY_SHAPED.match(value):
        return True
    # A column or field name (`fecha_alta`), unless the words themselves say secret (`mi_clave_secreta`).
    if re.fullmatch(r"[a-z]+(?:_[a-z]+)+|[a-z]+(?:[A-Z][a-z]+)+", value) and not any(
        word in _SECRET_WORDS for word in name_words(value)
    ):
        return True
    name = re.escape(hit.name)
    used_as_key = re.compile(
        rf"(?:\bKey\s*=\s*|\[\s*|\.(?:get|getItem|setItem|set|delete|pop|remove|hget|hset|exists)\(\s*){name}\b"
    )
    return used_as_key.search(code) is not None


def _secret_in_line(line: str, number: int) -> SecretHit | None:
    for rule, pattern in _TOKEN_PATTERNS:
        if pattern.search(line):
            return SecretHit(rule, number, rule.removeprefix("secret-"))
    for match in _NAMED_LITERAL.finditer(line):
        name, value = match.group("name"), match.group("value")
        if names_a_secret(name) and looks_like_a_credential(value):
            return SecretHit("secret-hardcoded-credential", number, name)
    for match in _SIGNING_LITERAL.finditer(line):
        if looks_like_a_credential(match.group("value")):
            return SecretHit("secret-hardcoded-credential", number, f"jwt.{match.group('call')}")
    for match in _CLIENT_LITERAL.finditer(line):
        name, value = match.group("name"), match.group("value")
        if _CLIENT_WORDS.search(name) and looks_like_a_credential(value) and any(c.isdigit() for c in value):
            return SecretHit("secret-hardcoded-credential", number, name)
    for match in _LITERAL.finditer(line):
        if _is_random_looking(match.group("value")):
            return SecretHit("secret-high-entropy", number, _name_before(line, match.start()))
    return None


def name_words(name: str) -> list[str]:
    spaced = _CAMEL_BOUNDARY.sub("_", name.lstrip("$"))
    return [word for word in re.split(r"[_\-]+", spaced.lower()) if word]


def names_a_secret(name: str) -> bool:
    words = name_words(name)
    if not words or words[-1] in _NOT_A_VALUE:
        return False
    joined = "".join(words)
    return any(word in _SECRET_WORDS for word in words) or any(joined.endswith(end) for end in _SECRET_ENDINGS)


def looks_like_a_credential(value: str) -> bool:
    """Not a placeholder, an environment variable's name, a path or a word on its own."""
    if _PLACEHOLDER.match(value) or _ENV_NAME.match(value) or value.startswith(("/", "http", "$", "%", "{")):
        return False
    has_digit_or_symbol = any(not character.isalpha() for character in value)
    return len(value) >= 8 or (len(value) >= 6 and has_digit_or_symbol)


def _is_random_looking(value: str) -> bool:
    core = value.strip("=")
    classes = (any(c.islower() for c in core), any(c.isupper() for c in core), any(c.isdigit() for c in core))
    if not all(classes) or "." in core or _has_alphabet_run(core):
        return False
    return _entropy(core) >= _ENTROPY_THRESHOLD


def _has_alphabet_run(value: str) -> bool:
    """`ABCDEFGHIJ…`, `0123456789`: an alphabet written out, not a key."""
    run = 1
    for previous, current in itertools.pairwise(value):
        run = run + 1 if ord(current) - ord(previous) == 1 else 1
        if run >= 5:
            return True
    return False


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(count / len(value) * math.log2(count / len(value)) for count in counts.values())


def _name_before(line: str, position: int) -> str:
    names = re.findall(r"[A-Za-z_$][\w$]*", line[:position])
    return names[-1] if names else "literal"
