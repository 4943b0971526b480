"""The project's own Python security rules, for what ruff and bandit do not see.

ruff's S rules and bandit judge one call at a time. These rules follow a value a few steps (from a
request handler's parameters into a file path, from a variable named like a password into a hash),
which is what a reviewer of learner code looks for:
- `jwt-no-verify`: a JWT decoded with its signature check turned off, or with the `none` algorithm.
- `weak-password-hash`: a password hashed with a fast digest (md5, sha1, sha256…) instead of a
  password hash (argon2, bcrypt, scrypt, pbkdf2).
- `insecure-random`: `random` producing a token, password, session id or reset code (a game's dice
  or a shuffled quiz is fine).
- `weak-cipher`: AES in ECB mode with PyCryptodome (bandit and ruff see DES, RC4 and `modes.ECB`).
- `tls-verify-off`: an `ssl` context with `check_hostname = False` or `CERT_NONE`.
- `permissive-cors`: any origin allowed together with credentials (Flask-CORS, FastAPI's middleware).
- `weak-hash-signature`: MD5 or SHA-1 over a secret to sign or authenticate a message.
Request input followed to its sinks (path traversal, open redirect, SSRF…) is python_taint's job.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from ai_goals_tracker.review.analyzers.python_taint import call_name as _taint_call_name
from ai_goals_tracker.review.analyzers.python_taint import dotted, taint_hazards

Hazard = tuple[str, int, int]

_FAST_DIGESTS = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s"})
# Words of a password in the languages learners name their variables in.
PASSWORD_WORDS = re.compile(r"pass(?:word|wd|wort)?|pwd|contrase(?:n|ñ|ni)a|clave|senha|motdepasse", re.IGNORECASE)


def python_hazards(tree: ast.Module) -> list[Hazard]:
    # One walk of the tree, shared by every rule.
    nodes = list(ast.walk(tree))
    hazards = [
        *_jwt_without_verification(nodes),
        *_fast_password_hashes(nodes),
        *_insecure_random(nodes),
        *_weak_ciphers(nodes),
        *_tls_checks_off(nodes),
        *_permissive_cors(nodes),
        *_world_writable(nodes),
        *_sql_from_constants(nodes),
        *_password_in_url(nodes),
        *taint_hazards(tree),
    ]
    return sorted(set(hazards), key=lambda hazard: hazard[1])


def _span(node: ast.AST) -> tuple[int, int]:
    line = getattr(node, "lineno", 1)
    return line, getattr(node, "end_lineno", None) or line


def _call_name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


def _calls(nodes: list[ast.AST]) -> Iterator[ast.Call]:
    return (node for node in nodes if isinstance(node, ast.Call))


def _jwt_without_verification(nodes: list[ast.AST]) -> Iterator[Hazard]:
    for call in _calls(nodes):
        name = _call_name(call)
        if name == "get_unverified_claims" or (name == "decode" and _decodes_unverified(call)):
            yield ("jwt-no-verify", *_span(call))


def _decodes_unverified(call: ast.Call) -> bool:
    for keyword in call.keywords:
        value = keyword.value
        if keyword.arg == "verify" and isinstance(value, ast.Constant) and value.value is False:
            return True
        if keyword.arg == "options" and isinstance(value, ast.Dict):
            for key, option in zip(value.keys, value.values, strict=True):
                is_check = isinstance(key, ast.Constant) and key.value in ("verify_signature", "verify_exp")
                if is_check and isinstance(option, ast.Constant) and option.value is False:
                    return True
        if keyword.arg == "algorithms" and _mentions_none_algorithm(value):
            return True
    return False


def _mentions_none_algorithm(value: ast.expr) -> bool:
    return any(
        isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lower() == "none"
        for node in ast.walk(value)
    )


def _fast_password_hashes(nodes: list[ast.AST]) -> Iterator[Hazard]:
    for call in _calls(nodes):
        name = _call_name(call)
        digest = name
        if name == "new" and call.args and isinstance(call.args[0], ast.Constant):
            digest = str(call.args[0].value).lower()
        if digest in _FAST_DIGESTS and _hashes_a_password(call):
            yield ("weak-password-hash", *_span(call))
        elif digest in ("md5", "sha1") and _signs_with_a_secret(call):
            yield ("weak-hash-signature", *_span(call))


def _hashes_a_password(call: ast.Call) -> bool:
    for argument in [*call.args, *(keyword.value for keyword in call.keywords)]:
        for node in ast.walk(argument):
            identifier = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
            if identifier and PASSWORD_WORDS.search(identifier) and not _NOT_A_PASSWORD.search(identifier):
                return True
    return False


# A reset token is random already (a fast hash of it is right), and a `clave` can name a cache or object key.
_NOT_A_PASSWORD = re.compile(
    r"hash|token|cache|objeto|archivo|fichero|s3|redis|etag|checksum|orden|mapa", re.IGNORECASE
)


_RANDOM_CALLS = frozenset(
    {"random", "randint", "choice", "choices", "sample", "randrange", "getrandbits", "shuffle", "uniform", "randbytes"}
)
# Words that make a random value a secret: `token`, `reset_code`, `session_id`, `contraseña`…
_SECRET_USE = re.compile(
    r"token|passw|pwd|contrase|secret|secreto|otp|nonce|salt|sess?ion_?(?:id|key|token|clave)|sessionid|sid\b|csrf|api_?key|apikey|"
    r"(?:reset|verif|verification|activation|activacion|confirm|recovery|recuperacion|auth|login|acceso|"
    r"2fa|mfa|invite|invitacion)\w*?_?(?:code|codigo|pin|key|clave|link|id)|"
    r"(?:code|codigo|pin|clave)_?(?:reset|verif\w*|recuperacion|acceso|activacion|confirm\w*|auth\w*|2fa|mfa)|"
    r"\bpin\b|^pin|clave|cookie|jwt|signing|firma|(?:generate|gen|crypto|encryption|aes|secret|private|signing)_?key",
    re.IGNORECASE,
)
# "secret" in a guessing game names the number to guess, not a credential.
_GAME_WORDS = re.compile(
    r"number|numero|número|(?<!pass)word|palabra|color|card|carta|dice|dado|guess|adivin|game|juego|pregunta|question|"
    r"quiz|trivia|deck|baraja|team|equipo|length|longitud|len\b|size|(?<!ac)count|attempt|intento|delay|wait|espera|retry",
    re.IGNORECASE,
)


def _random_imports(nodes: list[ast.AST]) -> set[str]:
    """Names that call the `random` module: `random` itself and what `from random import …` brought in."""
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import) and any(alias.name == "random" for alias in node.names):
            names.add("random")
        elif isinstance(node, ast.ImportFrom) and node.module == "random":
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _insecure_random(nodes: list[ast.AST]) -> Iterator[Hazard]:
    names = _random_imports(nodes)
    if not names:
        return
    parents: dict[ast.AST, ast.AST] = {}
    for node in nodes:
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    for call in _calls(nodes):
        function = call.func
        is_random = (
            isinstance(function, ast.Attribute)
            and function.attr in _RANDOM_CALLS
            and isinstance(function.value, ast.Name)
            and function.value.id == "random"
            and "random" in names
        ) or (isinstance(function, ast.Name) and function.id in names and function.id in _RANDOM_CALLS)
        if is_random and _used_for_a_secret(call, parents):
            yield ("insecure-random", *_span(call))


def _used_for_a_secret(call: ast.Call, parents: dict[ast.AST, ast.AST]) -> bool:
    """The names around the call: what it is assigned to, the key it is stored under, its function's name."""
    node: ast.AST = call
    words: list[str] = []
    while node in parents:
        parent = parents[node]
        if isinstance(parent, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            words += [dotted(target) or _subscript_key(target) for target in targets]
        elif isinstance(parent, ast.keyword) and parent.arg:
            words.append(parent.arg)
        elif isinstance(parent, ast.Dict):
            words += [
                str(key.value)
                for key, value in zip(parent.keys, parent.values, strict=True)
                if isinstance(key, ast.Constant) and value is node
            ]
        elif isinstance(parent, ast.Call) and _taint_call_name(parent) in ("set_cookie", "setex", "set"):
            words.append("cookie" if _taint_call_name(parent) == "set_cookie" else "")
        elif isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            words.append(parent.name)
            break
        node = parent
    return names_a_secret_use(words)


def names_a_secret_use(words: list[str]) -> bool:
    """The nearest name decides: `password_length` in `make_password` is a length, `token` in `roll` a token."""
    for word in words:
        if not word:
            continue
        if _GAME_WORDS.search(word):
            return False
        if _SECRET_USE.search(word):
            return True
    return False


def _subscript_key(target: ast.expr) -> str:
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        return str(target.slice.value)
    return ""


_BROKEN_CIPHERS = frozenset({"DES", "DES3", "ARC4", "ARC2", "Blowfish", "CAST", "XOR"})


def _weak_ciphers(nodes: list[ast.AST]) -> Iterator[Hazard]:
    for node in nodes:
        if isinstance(node, ast.Attribute) and node.attr == "MODE_ECB":
            yield ("weak-cipher", *_span(node))
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr == "new" and dotted(node.func.value) in _BROKEN_CIPHERS:
            yield ("weak-cipher", *_span(node))


def _tls_checks_off(nodes: list[ast.AST]) -> Iterator[Hazard]:
    for node in nodes:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if not isinstance(target, ast.Attribute):
                continue
            if target.attr == "check_hostname" and isinstance(node.value, ast.Constant) and node.value.value is False:
                yield ("tls-verify-off", *_span(node))
            if target.attr == "verify_mode" and dotted(node.value).endswith("CERT_NONE"):
                yield ("tls-verify-off", *_span(node))


def _permissive_cors(nodes: list[ast.AST]) -> Iterator[Hazard]:
    for call in _calls(nodes):
        name = _call_name(call)
        keywords = {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg}
        if name == "CORS":
            credentials = keywords.get("supports_credentials")
            origins = keywords.get("origins") or keywords.get("resources")
            if _true(credentials) and (origins is None or _any_origin(origins)):
                yield ("permissive-cors", *_span(call))
        elif name == "add_middleware" and call.args and dotted(call.args[0]).endswith("CORSMiddleware"):
            origins = keywords.get("allow_origins")
            regex = keywords.get("allow_origin_regex")
            wide = (origins is not None and _any_origin(origins)) or (
                isinstance(regex, ast.Constant) and str(regex.value) in (".*", "https?://.*", "^.*$")
            )
            if wide and _true(keywords.get("allow_credentials")):
                yield ("permissive-cors", *_span(call))


def _true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _any_origin(node: ast.expr) -> bool:
    return any(isinstance(child, ast.Constant) and child.value in ("*", ".*", "r'.*'") for child in ast.walk(node))


_SIGNING_SECRET = re.compile(r"secret|secreto|signing|private|api_?key|firma|signature|hmac", re.IGNORECASE)


def _signs_with_a_secret(call: ast.Call) -> bool:
    """`md5(SECRET_KEY + payload)`: a home-made signature, forgeable by length extension or collisions."""
    for argument in call.args:
        for node in ast.walk(argument):
            identifier = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
            if identifier and _SIGNING_SECRET.search(identifier):
                return True
    return False


# `os.open`, `os.mkdir`, `os.makedirs` with a mode that lets every user write (bandit sees `os.chmod`).
_MODE_ARGUMENT = {"open": 2, "mkdir": 1, "makedirs": 1}


def _world_writable(nodes: list[ast.AST]) -> Iterator[Hazard]:
    for call in _calls(nodes):
        name = _call_name(call)
        if not (isinstance(call.func, ast.Attribute) and dotted(call.func.value) == "os"):
            continue
        if name == "umask" and call.args and isinstance(call.args[0], ast.Constant) and call.args[0].value == 0:
            yield ("insecure-permissions", *_span(call))
        position = _MODE_ARGUMENT.get(name)
        if position is None:
            continue
        mode = call.args[position] if len(call.args) > position else None
        mode = mode or next((keyword.value for keyword in call.keywords if keyword.arg == "mode"), None)
        if isinstance(mode, ast.Constant) and isinstance(mode.value, int) and mode.value & 0o002:
            yield ("insecure-permissions", *_span(call))


_SQL_TEXT = re.compile(
    r"\b(?:select\s.+\sfrom|insert\s+into|update\s.+\sset|delete\s+from)\b", re.IGNORECASE | re.DOTALL
)
_CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _sql_from_constants(nodes: list[ast.AST]) -> Iterator[Hazard]:
    """`f"SELECT * FROM {TABLE} WHERE id = ?"`: only the program's own constants in the query text.

    ruff's S608 blocks any built query; this marks the ones where nothing but UPPER_CASE constants and
    numbers is written in, so that the finding only informs.
    """
    for node in nodes:
        pieces: list[ast.expr] | None = None
        text = ""
        if isinstance(node, ast.JoinedStr):
            pieces = [value.value for value in node.values if isinstance(value, ast.FormattedValue)]
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            template = node.func.value
            if isinstance(template, ast.Constant) and isinstance(template.value, str):
                pieces = [*node.args, *(keyword.value for keyword in node.keywords)]
                text = template.value
        if pieces and _SQL_TEXT.search(text) and all(_is_constant_piece(piece) for piece in pieces):
            yield ("sql-from-constants", *_span(node))


def _is_constant_piece(piece: ast.expr) -> bool:
    if isinstance(piece, ast.Constant):
        return True
    name = piece.id if isinstance(piece, ast.Name) else piece.attr if isinstance(piece, ast.Attribute) else ""
    return bool(name) and _CONSTANT_NAME.match(name) is not None


# `?password=…` or `&contraseña=…` written into a URL: it lands in server logs, proxies and browser history.
PASSWORD_IN_QUERY = re.compile(
    r"[?&](?:password|passwd|pwd|pass|contrase(?:n|ñ)a|clave|senha|passwort|mot_?de_?passe)=", re.IGNORECASE
)


def _password_in_url(nodes: list[ast.AST]) -> Iterator[Hazard]:
    for node in nodes:
        if not isinstance(node, ast.JoinedStr | ast.BinOp):
            continue
        text = " ".join(
            child.value for child in ast.walk(node) if isinstance(child, ast.Constant) and isinstance(child.value, str)
        )
        built = any(not isinstance(child, ast.Constant) for child in _parts(node))
        if built and PASSWORD_IN_QUERY.search(text):
            yield ("secret-in-url", *_span(node))


def _parts(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.JoinedStr):
        return [value.value if isinstance(value, ast.FormattedValue) else value for value in node.values]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [*_parts(node.left), *_parts(node.right)]
    return [node]
