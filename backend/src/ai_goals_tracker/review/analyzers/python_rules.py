"""The project's own Python security rules, for what ruff and bandit do not see.

ruff's S rules and bandit judge one call at a time. These rules follow a value a few steps (from a
request handler's parameters into a file path, from a variable named like a password into a hash),
which is what a reviewer of learner code looks for:
- `jwt-no-verify`: a JWT decoded with its signature check turned off, or with the `none` algorithm.
- `weak-password-hash`: a password hashed with a fast digest (md5, sha1, sha256…) instead of a
  password hash (argon2, bcrypt, scrypt, pbkdf2).
- `path-traversal`: a file opened or served at a path built from request input, without reducing it
  to a file name or checking that it stays inside a folder.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

Hazard = tuple[str, int, int]

_FAST_DIGESTS = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b", "blake2s"})
# Words of a password in the languages learners name their variables in.
PASSWORD_WORDS = re.compile(r"pass(?:word|wd|wort)?|pwd|contrase(?:n|ñ|ni)a|clave|senha|motdepasse", re.IGNORECASE)
_ROUTE_DECORATORS = frozenset({"get", "post", "put", "patch", "delete", "route", "api_route", "websocket"})
_REQUEST_SOURCES = frozenset({"args", "form", "values", "query_params", "path_params", "files", "json", "GET", "POST"})
_FILE_SINKS = frozenset({"open", "FileResponse", "send_file", "Path", "read_text", "read_bytes", "remove", "unlink"})
# Calls that turn input into a bare file name, or check that a path stays inside a folder.
_SANITIZERS = frozenset({"basename", "secure_filename", "is_relative_to", "commonpath", "normpath_inside"})
_NOT_INPUT = frozenset({"self", "cls", "request", "db", "session", "settings", "background_tasks", "response"})


def python_hazards(tree: ast.Module) -> list[Hazard]:
    hazards = [*_jwt_without_verification(tree), *_fast_password_hashes(tree)]
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            hazards.extend(_path_traversal(function))
    return sorted(set(hazards), key=lambda hazard: hazard[1])


def _span(node: ast.AST) -> tuple[int, int]:
    line = getattr(node, "lineno", 1)
    return line, getattr(node, "end_lineno", None) or line


def _call_name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


def _calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def _jwt_without_verification(tree: ast.Module) -> Iterator[Hazard]:
    for call in _calls(tree):
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


def _fast_password_hashes(tree: ast.Module) -> Iterator[Hazard]:
    for call in _calls(tree):
        name = _call_name(call)
        digest = name
        if name == "new" and call.args and isinstance(call.args[0], ast.Constant):
            digest = str(call.args[0].value).lower()
        if digest in _FAST_DIGESTS and _hashes_a_password(call):
            yield ("weak-password-hash", *_span(call))


def _hashes_a_password(call: ast.Call) -> bool:
    for argument in [*call.args, *(keyword.value for keyword in call.keywords)]:
        for node in ast.walk(argument):
            identifier = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
            if identifier and PASSWORD_WORDS.search(identifier) and "hash" not in identifier.lower():
                return True
    return False


def _path_traversal(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[Hazard]:
    """Request input reaching a file sink inside one handler, following plain assignments in order."""
    tainted = _handler_inputs(function)
    body = sorted(
        (node for node in ast.walk(function) if isinstance(node, ast.Assign | ast.AnnAssign | ast.Call)),
        key=lambda node: (node.lineno, node.col_offset),
    )
    if any(_call_name(call) in _SANITIZERS for call in _calls(function)):
        return
    for node in body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and (_is_request_input(node.value) or _uses(node.value, tainted)):
                tainted |= {target.id for target in targets if isinstance(target, ast.Name)}
        elif _call_name(node) in _FILE_SINKS and _reaches_sink(node, tainted):
            yield ("path-traversal", *_span(node))


def _reaches_sink(call: ast.Call, tainted: set[str]) -> bool:
    # `open(path)`, `FileResponse(path)`, and `(BASE / name).read_text()` (the path is the receiver).
    subjects: list[ast.expr] = list(call.args[:1])
    if isinstance(call.func, ast.Attribute):
        subjects.append(call.func.value)
    return any(_uses(subject, tainted) or _is_request_input(subject) for subject in subjects)


def _handler_inputs(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    is_route = any(
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in _ROUTE_DECORATORS
        for decorator in function.decorator_list
    )
    if not is_route:
        return set()
    arguments = [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]
    return {
        argument.arg
        for argument in arguments
        if argument.arg not in _NOT_INPUT and not _is_numeric_annotation(argument.annotation)
    }


def _is_numeric_annotation(annotation: ast.expr | None) -> bool:
    """An `int` or `UUID` parameter cannot carry `../`."""
    return isinstance(annotation, ast.Name) and annotation.id in ("int", "float", "bool", "UUID")


def _is_request_input(node: ast.expr) -> bool:
    """`request.args[...]`, `request.query_params.get(...)`, `input()`…"""
    for child in ast.walk(node):
        if isinstance(child, ast.Attribute) and child.attr in _REQUEST_SOURCES:
            base = child.value
            if isinstance(base, ast.Name) and base.id in ("request", "req"):
                return True
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Name) and child.func.id == "input":
            return True
    return False


def _uses(node: ast.expr, names: set[str]) -> bool:
    return bool(names) and any(isinstance(child, ast.Name) and child.id in names for child in ast.walk(node))
