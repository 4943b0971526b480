"""Intra-file taint tracking for Python: request input followed to the calls that it must not reach.

Sources: Flask's `request.args/form/values/json/data/files/cookies/headers/get_json()`, Django's
`request.GET/POST/body/COOKIES/META`, Starlette's `request.query_params/path_params/json()`, the
parameters of route handlers (Flask, FastAPI) and Django views, and, for the classes where whoever runs
a script can still harm others (queries, templates, LDAP, XPath), `input()` and `sys.argv`.

The tracker walks each function's statements in order, through assignments, f-strings, `+`, `%`,
`.format`, containers and string methods, and across the file's own functions: a tainted argument
taints the callee's parameter, and a helper that returns input taints its callers' values (iterated to
a fixed point). A value passed through a sanitizer (`int`, `secure_filename`, `re.escape`,
`escape_filter_chars`…) is clean for the classes that sanitizer protects; a value checked against an
allow-list (`if host not in ALLOWED`) or by a guard (`url_has_allowed_host_and_scheme`,
`is_relative_to`) in the same function is clean for the class the guard protects.

Every walk is iterative or bounded by the file's nesting, which `ast.parse` already limits.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ai_goals_tracker.review.analyzers.secrets import names_a_secret

Hazard = tuple[str, int, int]

ALL = frozenset(
    {
        "path",
        "redirect",
        "ssrf",
        "sql",
        "xss",
        "template",
        "header",
        "log",
        "ldap",
        "xpath",
        "nosql",
        "regex",
        "mass",
        "xxe",
        "resource",
    }
)
_MAX_ROUNDS = 6


@dataclass(frozen=True, slots=True)
class Taint:
    """A value that carries input: the classes it was cleaned for, and whether it may be a dict or list."""

    cleaned: frozenset[str] = frozenset()
    structured: bool = False
    web: bool = True

    def merge(self, other: Taint | None) -> Taint:
        if other is None:
            return self
        return Taint(self.cleaned & other.cleaned, self.structured or other.structured, self.web or other.web)

    def clean(self, classes: Iterable[str]) -> Taint:
        return Taint(self.cleaned | frozenset(classes), self.structured, self.web)

    def reaches(self, kind: str) -> bool:
        return kind not in self.cleaned


def merge(values: Iterable[Taint | None]) -> Taint | None:
    result: Taint | None = None
    for value in values:
        if value is not None:
            result = value if result is None else result.merge(value)
    return result


# ---- sources -------------------------------------------------------------------------------------------

_REQUEST_NAMES = frozenset({"request", "req", "flask_request"})
_TEXT_SOURCES = frozenset(
    {
        "args",
        "values",
        "files",
        "cookies",
        "headers",
        "query_params",
        "path_params",
        "GET",
        "COOKIES",
        "META",
        "FILES",
        "query_string",
        "url",
        "full_path",
        "path",
        "referrer",
        "remote_addr",
        "environ",
        "match_info",
        "view_args",
    }
)
_STRUCTURED_SOURCES = frozenset({"form", "json", "data", "POST", "body", "get_json", "get_data", "stream", "query"})
_TORNADO_ARGUMENTS = frozenset({"get_argument", "get_query_argument", "get_body_argument", "get_arguments"})
# An address cannot carry a line break; sending a visitor back where they came from is no open redirect.
_SOURCE_CLEAN = {
    "remote_addr": frozenset({"log", "header", "path", "redirect", "sql", "xss"}),
    "referrer": frozenset({"redirect"}),
}
_ROUTE_DECORATORS = frozenset({"get", "post", "put", "patch", "delete", "route", "api_route", "websocket", "head"})
_NOT_INPUT = frozenset(
    {"self", "cls", "request", "req", "db", "session", "settings", "background_tasks", "response", "current_user"}
)
_TRUSTED_ANNOTATIONS = frozenset(
    {"int", "float", "bool", "UUID", "Session", "AsyncSession", "Request", "Response", "BackgroundTasks"}
    | {"date", "datetime", "Decimal", "HttpRequest"}
)
_STRUCTURED_ANNOTATIONS = frozenset({"dict", "Dict", "Any", "list", "List"})

# ---- sanitizers ----------------------------------------------------------------------------------------

_NUMERIC = ALL - {"resource"}
_SANITIZERS: dict[str, frozenset[str]] = {
    "int": _NUMERIC,
    "float": _NUMERIC,
    "bool": ALL,
    "len": ALL,
    "abs": _NUMERIC,
    "round": _NUMERIC,
    "UUID": ALL,
    "uuid4": ALL,
    "hash": ALL,
    "hexdigest": ALL,
    "digest": ALL,
    "basename": frozenset({"path"}),
    "secure_filename": frozenset({"path", "header", "xss", "log"}),
    "get_valid_filename": frozenset({"path"}),
    "escape": frozenset({"xss", "template"}),
    "conditional_escape": frozenset({"xss", "template"}),
    "clean": frozenset({"xss", "template"}),
    "quote": frozenset({"xss", "path", "header", "log", "redirect"}),
    "quote_plus": frozenset({"xss", "path", "header", "log", "redirect"}),
    "urlencode": frozenset({"xss", "header", "log"}),
    "re.escape": frozenset({"regex"}),
    "escape_filter_chars": frozenset({"ldap"}),
    "escape_rdn": frozenset({"ldap"}),
    "escape_dn_chars": frozenset({"ldap"}),
    "url_for": frozenset({"redirect", "ssrf", "path"}),
    "reverse": frozenset({"redirect"}),
    "repr": frozenset({"log"}),
    "dumps": frozenset({"log", "header"}),
    "isoformat": ALL,
    "timestamp": ALL,
    "compare_digest": ALL,
    "check_password_hash": ALL,
    "verify": ALL,
    "exists": ALL,
    "isdigit": ALL,
    "isalnum": ALL,
    "startswith": ALL,
    "endswith": ALL,
    "count": ALL,
    "index": _NUMERIC,
    "find": _NUMERIC,
}
# Functions whose value is built from their arguments: input in, input out. Methods of a value that
# carries input (`name.strip()`, `data.get("x")`) carry it too, whatever their name.
_PROPAGATORS = frozenset(
    {
        "str",
        "join",
        "format",
        "format_map",
        "Path",
        "PurePath",
        "PosixPath",
        "urljoin",
        "unquote",
        "unquote_plus",
        "b64decode",
        "urlsafe_b64decode",
        "dict",
        "list",
        "tuple",
        "set",
        "sorted",
        "reversed",
        "loads",
        "parse_qs",
        "abspath",
        "normpath",
        "realpath",
        "expanduser",
        "fspath",
        "concat",
        "urlunparse",
        "Request",
        "replace",
        "StringIO",
        "BytesIO",
        "b64encode",
        "fromstring",
    }
)
_ALLOWLIST_GUARDS: dict[str, frozenset[str]] = {
    "url_has_allowed_host_and_scheme": frozenset({"redirect", "ssrf"}),
    "is_safe_url": frozenset({"redirect", "ssrf"}),
    "is_relative_to": frozenset({"path"}),
    "commonpath": frozenset({"path"}),
    "commonprefix": frozenset({"path"}),
    "fullmatch": frozenset({"path", "redirect", "ssrf", "header", "log", "ldap", "xpath", "sql", "nosql", "xss"}),
    "match": frozenset({"path", "redirect", "ssrf", "header", "log", "ldap", "xpath", "sql"}),
    "isinstance": frozenset({"nosql", "mass"}),
    "is_private": frozenset({"ssrf"}),
    "is_global": frozenset({"ssrf"}),
    "gethostbyname": frozenset({"ssrf"}),
}

# ---- sinks ---------------------------------------------------------------------------------------------

_REDIRECTS = frozenset({"redirect", "HttpResponseRedirect", "HttpResponsePermanentRedirect", "RedirectResponse"})
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"})
_HTTP_CLIENTS = frozenset(
    {"requests", "httpx", "session", "client", "http", "s", "sesion", "aiohttp", "urllib3", "pool", "cliente"}
)
_URL_OPENERS = frozenset({"urlopen", "urlretrieve", "Request"})
_FILE_SINKS = frozenset(
    {
        "open",
        "send_file",
        "FileResponse",
        "remove",
        "unlink",
        "rmtree",
        "rmdir",
        "listdir",
        "scandir",
        "copy",
        "copyfile",
        "move",
        "rename",
        "makedirs",
        "mkdir",
        "ZipFile",
        "read_csv",
        "read_excel",
        "load_workbook",
        "save",
        "extractall",
    }
)
_PATH_METHODS = frozenset(
    {"read_text", "read_bytes", "write_text", "write_bytes", "unlink", "open", "iterdir", "rmdir", "touch"}
)
_SQL_SINKS = frozenset({"execute", "executemany", "executescript", "raw", "text", "read_sql", "read_sql_query"})
_TEMPLATE_SINKS = frozenset({"render_template_string", "from_string", "Template"})
_HTML_RESPONSES = frozenset({"make_response", "Response", "HttpResponse", "HTMLResponse", "Markup"})
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "critical", "exception", "log"})
_LOGGERS = re.compile(
    r"^(?:logging|logger|log|_logger|_log|app\.logger|current_app\.logger|\w*logger|.*getLogger\(\))$",
    re.IGNORECASE,
)
_LDAP_SINKS = frozenset({"search", "search_s", "search_st", "search_ext", "search_ext_s", "paged_search"})
_XPATH_SINKS = frozenset({"xpath", "XPath", "find", "findall", "iterfind", "findtext", "select"})
_MONGO_SINKS = frozenset(
    {
        "find",
        "find_one",
        "find_one_and_update",
        "find_one_and_delete",
        "find_one_and_replace",
        "update_one",
        "update_many",
        "delete_one",
        "delete_many",
        "count_documents",
        "aggregate",
        "replace_one",
    }
)
_REGEX_SINKS = frozenset({"compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split"})
_XML_PARSERS = frozenset({"fromstring", "parse", "XML", "parseString", "iterparse", "XMLID"})
_ALLOCATORS = frozenset({"range", "bytearray", "sleep", "zeros", "ones", "repeat"})
# Nested quantifiers, `(a+)+`, `(\w*)*`, `(x|x)+`: exponential backtracking on a non-matching input.
_CATASTROPHIC = re.compile(r"\((?:[^()]{0,40}[+*]|[^()]{0,40}\|[^()]{0,40})\)(?:[+*]|\{\d+,\})")


@dataclass(slots=True)
class _FunctionState:
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module
    params: list[str]
    tainted_params: dict[str, Taint] = field(default_factory=dict)
    returns: Taint | None = None
    is_handler: bool = False
    # Guards depend on the tree alone: found in the first round, kept for the next ones.
    guards: dict[str, frozenset[str]] | None = None


@dataclass(slots=True)
class _FileInfo:
    imports: frozenset[str]
    flask_or_django: bool
    functions: dict[str, _FunctionState]

    def imported(self, *modules: str) -> bool:
        return any(any(name == m or name.startswith(m + ".") for m in modules) for name in self.imports)


def taint_hazards(tree: ast.Module) -> list[Hazard]:
    info = _file_info(tree)
    states = list(info.functions.values())
    module_state = _FunctionState(tree, [])
    hazards: set[Hazard] = set()
    for round_number in range(_MAX_ROUNDS):
        changed = False
        last = round_number == _MAX_ROUNDS - 1
        for state in [module_state, *states]:
            walker = _Walker(info, state)
            walker.run()
            changed |= walker.changed
            hazards |= walker.hazards
        if not changed or last:
            break
        hazards.clear()
    return sorted(hazards, key=lambda hazard: hazard[1])


def _file_info(tree: ast.Module) -> _FileInfo:
    imports: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imports.add(node.module)
    flask_or_django = any(name.split(".")[0] in ("flask", "django", "bottle") for name in imports)
    functions: dict[str, _FunctionState] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            state = _FunctionState(node, [argument.arg for argument in arguments])
            state.is_handler = _is_handler(node, imports)
            if state.is_handler:
                defaults = _defaults(node)
                numeric = _numeric_route_parameters(node)
                is_django = any(name.startswith(("django", "rest_framework")) for name in imports)
                for argument in arguments:
                    if argument.arg in _NOT_INPUT or _is_dependency(defaults.get(argument.arg)):
                        continue
                    if argument.arg in numeric or (is_django and _NUMERIC_NAME.search(argument.arg)):
                        continue
                    annotation = _annotation_name(argument.annotation)
                    if annotation in _TRUSTED_ANNOTATIONS:
                        continue
                    # A Pydantic model's fields are fixed (no mass assignment), but its strings are input.
                    state.tainted_params[argument.arg] = Taint(structured=annotation in _STRUCTURED_ANNOTATIONS)
            # Two functions with one name (methods of two classes): the later one shadows, as at import.
            functions[node.name] = state
    return _FileInfo(frozenset(imports), flask_or_django, functions)


# Flask's `<int:item_id>`; Django's converters live in urls.py, so its ids are known by their names.
_CONVERTER = re.compile(r"<(?:int|float|uuid):(\w+)>")
_NUMERIC_NAME = re.compile(r"^(?:pk|id|\w+_id|\w+_pk|year|month|day|page|anio|mes|dia|pagina)$")


def _numeric_route_parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names: set[str] = set()
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and decorator.args and isinstance(decorator.args[0], ast.Constant):
            names.update(_CONVERTER.findall(str(decorator.args[0].value)))
    return names


def _defaults(node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    positional = [*node.args.posonlyargs, *node.args.args]
    found = {
        argument.arg: default
        for argument, default in zip(
            positional[len(positional) - len(node.args.defaults) :], node.args.defaults, strict=True
        )
    }
    found.update(
        {
            argument.arg: default
            for argument, default in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
            if default
        }
    )
    return found


def _is_dependency(default: ast.expr | None) -> bool:
    """`db: Session = Depends(get_db)`: FastAPI fills it in, the client does not."""
    return isinstance(default, ast.Call) and call_name(default) in ("Depends", "Security")


def _annotation_name(annotation: ast.expr | None) -> str:
    if annotation is None:
        return ""
    if isinstance(annotation, ast.Subscript):
        annotation = annotation.value
    if isinstance(annotation, ast.Attribute):
        return annotation.attr
    if isinstance(annotation, ast.Name):
        return annotation.id
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value
    return "?"


def _is_handler(node: ast.FunctionDef | ast.AsyncFunctionDef, imports: set[str]) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in _ROUTE_DECORATORS:
            return True
        if isinstance(target, ast.Name) and target.id in ("api_view", "require_http_methods", "require_POST"):
            return True
    arguments = node.args.args
    is_django = any(name.startswith(("django", "rest_framework")) for name in imports)
    if is_django and arguments:
        first = arguments[1] if arguments[0].arg == "self" and len(arguments) > 1 else arguments[0]
        return first.arg in ("request", "req")
    return False


def dotted(node: ast.AST) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(dotted(node.func) + "()")
    else:
        return ".".join(reversed(parts))
    return ".".join(reversed(parts))


def call_name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


def _receiver(call: ast.Call) -> str:
    return dotted(call.func.value) if isinstance(call.func, ast.Attribute) else ""


def _argument(call: ast.Call, index: int, *keywords: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in keywords:
            return keyword.value
    return call.args[index] if len(call.args) > index else None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((keyword.value for keyword in call.keywords if keyword.arg == name), None)


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _literal_prefix(node: ast.expr) -> str | None:
    """The constant text a built string starts with ("" when input comes first), None if not a built string."""
    if isinstance(node, ast.JoinedStr):
        text = ""
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                text += part.value
            else:
                return text
        return text
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _literal_prefix(node.left)
        if isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
            return node.left.value
        return left if left is not None else ""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
        return str(node.left.value).split("%", 1)[0]
    if isinstance(node, ast.Call) and call_name(node) == "format" and isinstance(node.func, ast.Attribute):
        base = node.func.value
        if isinstance(base, ast.Constant) and isinstance(base.value, str):
            return base.value.split("{", 1)[0]
    return None


_SQL_TEXT = re.compile(
    r"\b(?:select\s.+\sfrom|insert\s+into|update\s.+\sset|delete\s+from)\b", re.IGNORECASE | re.DOTALL
)


def _constant_text(node: ast.expr) -> str:
    return " ".join(
        part.value for part in ast.walk(node) if isinstance(part, ast.Constant) and isinstance(part.value, str)
    )


def _first_part(node: ast.expr) -> ast.expr | None:
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        return first.value if isinstance(first, ast.FormattedValue) else first
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _first_part(node.left) or node.left
    return None


def _controls_host(node: ast.expr, taint: Taint) -> bool:
    """Input decides where a URL points: it starts it, or follows only a scheme (`https://` + host)."""
    prefix = _literal_prefix(node)
    if prefix is None:
        return True
    return prefix == "" or re.fullmatch(r"(?:[a-z][a-z0-9+.-]*:)?//[^/?#]*", prefix, re.IGNORECASE) is not None


def _redirect_is_external(node: ast.expr) -> bool:
    """`redirect("/profile/" + name)` stays on the site; `redirect(next_url)` or `"//" + host` may not."""
    prefix = _literal_prefix(node)
    if prefix is None or prefix == "":
        return True
    return not (prefix.startswith("/") and not prefix.startswith("//")) and not prefix.startswith("?")


def _looks_like_html(node: ast.expr) -> bool:
    return any(
        isinstance(part, ast.Constant) and isinstance(part.value, str) and re.search(r"<\w|</", part.value)
        for part in ast.walk(node)
    )


_STOP = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _header(statement: ast.stmt) -> list[ast.AST]:
    """The parts of a statement that are not nested statements."""
    if isinstance(statement, ast.If | ast.While):
        return [statement.test]
    if isinstance(statement, ast.For | ast.AsyncFor):
        return [statement.iter]
    if isinstance(statement, ast.With | ast.AsyncWith):
        return [item.context_expr for item in statement.items]
    if isinstance(statement, ast.Match):
        return [statement.subject]
    if isinstance(statement, ast.Try | ast.TryStar):
        return []
    return [statement]


def _own_nodes(statement: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a statement, without descending into nested functions or classes."""
    stack = [statement]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, _STOP))


class _Walker:
    def __init__(self, info: _FileInfo, state: _FunctionState) -> None:
        self.info = info
        self.state = state
        self.env: dict[str, Taint] = dict(state.tainted_params)
        self.hazards: set[Hazard] = set()
        self.changed = False
        self.guarded: dict[str, frozenset[str]] = {}
        self.responses: set[str] = set()
        self.sql_built: set[str] = set()

    # ---- walking

    def run(self) -> None:
        node = self.state.node
        if self.state.guards is None:
            self._guards(node)
            self.state.guards = dict(self.guarded)
        self.guarded = dict(self.state.guards)
        self._block(node.body)

    def _guards(self, root: ast.AST) -> None:
        """Names checked in this function by an allow-list or a guard call: clean for those classes."""
        for node in _own_nodes(root) if not isinstance(root, ast.Module) else ():
            names: set[str] = set()
            classes: frozenset[str] = frozenset()
            if isinstance(node, ast.Compare) and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
                if not any(isinstance(c, ast.Constant) and isinstance(c.value, str) for c in node.comparators):
                    names = {n.id for n in ast.walk(node.left) if isinstance(n, ast.Name)}
                    classes = ALL - {"log", "resource"}
                elif any(isinstance(c, ast.Constant) and c.value == ".." for c in [node.left]):
                    names = {n.id for c in node.comparators for n in ast.walk(c) if isinstance(n, ast.Name)}
                    classes = frozenset({"path"})
            elif isinstance(node, ast.Call):
                name = call_name(node)
                if name in _ALLOWLIST_GUARDS:
                    classes = _ALLOWLIST_GUARDS[name]
                elif name == "startswith" and isinstance(node.func, ast.Attribute):
                    classes = frozenset({"path", "redirect", "ssrf"})
                    names = {n.id for n in ast.walk(node.func.value) if isinstance(n, ast.Name)}
                elif name in ("urlparse", "urlsplit") and self._function_compares_netloc():
                    classes = frozenset({"redirect", "ssrf"})
                if classes and not names:
                    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            for name in names:
                self.guarded[name] = self.guarded.get(name, frozenset()) | classes
        # A guard on `path` also covers what `path` was built from, and what is built from it.
        if self.guarded:
            everything = frozenset().union(*self.guarded.values())
            if everything & {"path", "redirect", "ssrf"}:
                self.guarded["*"] = everything & {"path", "redirect", "ssrf"}

    def _function_compares_netloc(self) -> bool:
        return any(
            isinstance(node, ast.Attribute) and node.attr in ("netloc", "hostname", "scheme")
            for node in _own_nodes(self.state.node)
        )

    def _block(self, statements: list[ast.stmt]) -> None:
        for statement in statements:
            self._statement(statement)

    def _statement(self, statement: ast.stmt) -> None:
        if isinstance(statement, _STOP):
            return
        self._check_calls(statement)
        if isinstance(statement, ast.Assign):
            value = self.taint(statement.value)
            for target in statement.targets:
                self._assign(target, value, statement.value)
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            self._assign(statement.target, self.taint(statement.value), statement.value)
        elif isinstance(statement, ast.AugAssign):
            value = self.taint(statement.value)
            if isinstance(statement.target, ast.Name):
                old = self.env.get(statement.target.id)
                combined = merge([old, value])
                if combined is not None:
                    self.env[statement.target.id] = combined
        elif isinstance(statement, ast.For | ast.AsyncFor):
            self._assign(statement.target, self.taint(statement.iter), statement.iter)
            self._block(statement.body)
            self._block(statement.body)
            self._block(statement.orelse)
        elif isinstance(statement, ast.While | ast.If):
            self._block(statement.body)
            self._block(statement.orelse)
        elif isinstance(statement, ast.With | ast.AsyncWith):
            for item in statement.items:
                if item.optional_vars is not None:
                    self._assign(item.optional_vars, self.taint(item.context_expr), item.context_expr)
            self._block(statement.body)
        elif isinstance(statement, ast.Try):
            self._block(statement.body)
            for handler in statement.handlers:
                self._block(handler.body)
            self._block(statement.orelse)
            self._block(statement.finalbody)
        elif isinstance(statement, ast.Match):
            for case in statement.cases:
                self._block(case.body)
        elif isinstance(statement, ast.Return) and statement.value is not None:
            value = self.taint(statement.value)
            self._check_return(statement, statement.value, value)
            if value is not None and not isinstance(self.state.node, ast.Module):
                combined = value.merge(self.state.returns) if self.state.returns else value
                if combined != self.state.returns:
                    self.state.returns = combined
                    self.changed = True

    def _assign(self, target: ast.expr, value: Taint | None, source: ast.expr) -> None:
        if isinstance(target, ast.Name):
            if value is None:
                self.env.pop(target.id, None)
            else:
                self.env[target.id] = value
            if _literal_prefix(source) is not None and _SQL_TEXT.search(_constant_text(source)):
                self.sql_built.add(target.id)
            else:
                self.sql_built.discard(target.id)
            if isinstance(source, ast.Call) and call_name(source) in _HTML_RESPONSES | {"JsonResponse", "jsonify"}:
                self.responses.add(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._assign(element, value, source)
        elif isinstance(target, ast.Starred):
            self._assign(target.value, value, source)
        elif isinstance(target, ast.Subscript):
            self._subscript_store(target, value, source)
        elif isinstance(target, ast.Attribute) and value is not None:
            self.env[dotted(target)] = value

    def _subscript_store(self, target: ast.Subscript, value: Taint | None, source: ast.expr) -> None:
        container = dotted(target.value)
        key = target.slice
        is_header = container.endswith("headers") or (
            container in self.responses and isinstance(key, ast.Constant) and isinstance(key.value, str)
        )
        if is_header and value is not None and value.web and value.reaches("header"):
            self._report("header-injection", target)
        if value is not None and isinstance(target.value, ast.Name):
            self.env[target.value.id] = value.merge(self.env.get(target.value.id))

    # ---- values

    def taint(self, node: ast.expr | None) -> Taint | None:
        if node is None:
            return None
        if isinstance(node, ast.Name):
            return self._guarded(node.id, self.env.get(node.id))
        if isinstance(node, ast.Attribute):
            source = self._source(node)
            if source is not None:
                return source
            whole = self.env.get(dotted(node))
            return whole if whole is not None else self.taint(node.value)
        if isinstance(node, ast.Subscript):
            container = self.taint(node.value)
            if container is not None:
                return container
            return None  # a lookup in the program's own table by an input key gives the table's value
        if isinstance(node, ast.Call):
            return self._call_taint(node)
        if isinstance(node, ast.JoinedStr):
            return merge(self.taint(value) for value in node.values)
        if isinstance(node, ast.FormattedValue):
            value = self.taint(node.value)
            return value.clean({"log"}) if value is not None and node.conversion == ord("r") else value
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
                return self.taint(node.right)
            left, right = self.taint(node.left), self.taint(node.right)
            combined = merge([left, right])
            if combined is not None and isinstance(node.op, ast.Mult | ast.Pow):
                return combined.clean(_NUMERIC)
            return combined
        if isinstance(node, ast.Dict):
            values = [self.taint(value) for value in node.values]
            keys = [self.taint(key) for key in node.keys if key is not None]
            combined = merge([*values, *keys])
            return combined
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return merge(self.taint(element) for element in node.elts)
        if isinstance(node, ast.IfExp):
            return merge([self.taint(node.body), self.taint(node.orelse)])
        if isinstance(node, ast.BoolOp):
            return merge(self.taint(value) for value in node.values)
        if isinstance(node, ast.Starred | ast.Await):
            return self.taint(node.value)
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            iterables = merge(self.taint(generator.iter) for generator in node.generators)
            element = self.taint(node.elt)
            return merge([element, iterables]) if iterables is not None or element is not None else None
        if isinstance(node, ast.NamedExpr):
            value = self.taint(node.value)
            self._assign(node.target, value, node.value)
            return value
        return None

    def _guarded(self, name: str, value: Taint | None) -> Taint | None:
        if value is None:
            return None
        classes = self.guarded.get(name, frozenset()) | self.guarded.get("*", frozenset())
        return value.clean(classes) if classes else value

    def _source(self, node: ast.Attribute) -> Taint | None:
        base = node.value
        if isinstance(base, ast.Attribute) and base.attr == "request" and isinstance(base.value, ast.Name):
            base_name = "request"  # self.request.GET in a class-based view
        elif isinstance(base, ast.Name):
            base_name = base.id
        else:
            return None
        if base_name in _REQUEST_NAMES:
            if node.attr in _STRUCTURED_SOURCES:
                return Taint(structured=True)
            if node.attr in _TEXT_SOURCES:
                return Taint(cleaned=_SOURCE_CLEAN.get(node.attr, frozenset()))
        if base_name == "sys" and node.attr == "argv":
            return Taint(web=False)
        return None

    def _call_taint(self, call: ast.Call) -> Taint | None:
        name = call_name(call)
        if isinstance(call.func, ast.Name) and name == "input":
            return Taint(web=False)
        if name in ("get_json", "json", "get_data", "body", "form", "post") and isinstance(call.func, ast.Attribute):
            base = call.func.value
            if isinstance(base, ast.Name) and base.id in _REQUEST_NAMES:
                return Taint(structured=True)
        if name in _TORNADO_ARGUMENTS and _receiver(call) == "self":
            return Taint()
        arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
        receiver = self.taint(call.func.value) if isinstance(call.func, ast.Attribute) else None
        full = dotted(call.func)
        local = self.info.functions.get(name) if isinstance(call.func, ast.Name) or _receiver(call) == "self" else None
        if local is not None:
            self._pass_to(local, call)
            return local.returns
        if full == "re.escape" or (name == "escape" and _receiver(call) == "re"):
            cleaned = _SANITIZERS["re.escape"]
        else:
            cleaned = _SANITIZERS.get(name, frozenset())
        if name == "replace" and receiver is not None and self._removes_line_breaks(call):
            return receiver.clean({"log", "header"})
        if cleaned:
            inputs = merge([receiver, *(self.taint(argument) for argument in arguments)])
            if inputs is None:
                return None
            return None if cleaned >= ALL else inputs.clean(cleaned)
        if name == "str" and isinstance(call.func, ast.Name):
            text = merge(self.taint(argument) for argument in arguments)
            return Taint(text.cleaned | {"mass"}, False, text.web) if text is not None else None
        if name == "loads" and _receiver(call) == "json":
            value = merge(self.taint(argument) for argument in arguments)
            return Taint(value.cleaned, True, value.web) if value is not None else None
        if name in _PROPAGATORS or (isinstance(call.func, ast.Attribute) and receiver is not None):
            values: list[Taint | None] = [receiver]
            if name in _PROPAGATORS:
                values += [self.taint(argument) for argument in arguments]
            return merge(values)
        return None

    def _removes_line_breaks(self, call: ast.Call) -> bool:
        return bool(call.args) and any(
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and ("\n" in node.value or "\r" in node.value)
            for node in ast.walk(call.args[0])
        )

    def _pass_to(self, callee: _FunctionState, call: ast.Call) -> None:
        offset = 1 if callee.params[:1] in (["self"], ["cls"]) else 0
        passed: list[tuple[str, Taint | None]] = []
        for index, argument in enumerate(call.args):
            if offset + index < len(callee.params) and not isinstance(argument, ast.Starred):
                passed.append((callee.params[offset + index], self.taint(argument)))
        passed += [(k.arg, self.taint(k.value)) for k in call.keywords if k.arg in callee.params]
        for parameter, value in passed:
            if value is None:
                continue
            old = callee.tainted_params.get(parameter)
            new = value.merge(old) if old is not None else value
            if new != old:
                callee.tainted_params[parameter] = new
                self.changed = True

    # ---- sinks

    def _report(self, rule: str, node: ast.AST) -> None:
        line = getattr(node, "lineno", 1)
        self.hazards.add((rule, line, getattr(node, "end_lineno", None) or line))

    def _reaches(self, node: ast.expr | None, kind: str, *, web_only: bool = True) -> Taint | None:
        value = self.taint(node)
        if value is None or not value.reaches(kind) or (web_only and not value.web):
            return None
        return value

    def _check_calls(self, statement: ast.stmt) -> None:
        # A compound statement's body is checked statement by statement; here only its own header.
        for node in (node for part in _header(statement) for node in _own_nodes(part)):
            if isinstance(node, ast.Call):
                self._check_call(node)
                if call_name(node) in self.info.functions:
                    self.taint(node)  # hands tainted arguments to the file's own function

    def _check_call(self, call: ast.Call) -> None:
        name = call_name(call)
        receiver = _receiver(call)
        first = _argument(call, 0)
        info = self.info
        if name in _REDIRECTS:
            target = _argument(call, 0, "location", "url", "redirect_to", "to")
            external = target is not None and _redirect_is_external(target) and not self._fixed_base(target)
            if target is not None and self._reaches(target, "redirect") and external:
                self._report("open-redirect", call)
        if self._is_http_call(call, name, receiver):
            url = _argument(call, 1 if name == "request" else 0, "url")
            value = self._reaches(url, "ssrf")
            if url is not None and value is not None and _controls_host(url, value) and not self._fixed_base(url):
                self._report("ssrf", call)
        if name in _FILE_SINKS and first is not None and self._reaches(first, "path"):
            self._report("path-traversal", call)
        if name in _PATH_METHODS and isinstance(call.func, ast.Attribute):
            if self._reaches(call.func.value, "path") and info.imported("pathlib"):
                self._report("path-traversal", call)
        # A query built in a variable is reported where it is built (ruff S608), not again where it runs.
        built_elsewhere = isinstance(first, ast.Name) and first.id in self.sql_built
        if name in _SQL_SINKS and first is not None and not isinstance(first, ast.Constant) and not built_elsewhere:
            if self._reaches(first, "sql", web_only=False) and (name != "text" or info.imported("sqlalchemy")):
                self._report("sql-injection", call)
        if name in _TEMPLATE_SINKS and first is not None:
            is_template = name != "Template" or info.imported("jinja2", "django.template", "mako.template")
            if is_template and self._reaches(first, "template", web_only=False):
                self._report("template-injection", call)
            elif name == "render_template_string" and self._safe_filter_with_input(call):
                self._report("xss-response", call)
        if name in _HTML_RESPONSES and first is not None and name != "Markup":
            value = self._reaches(first, "xss")
            if value is not None and not value.structured and self._is_html_response(call, first):
                self._report("xss-response", call)
        if name in _LOG_METHODS and _LOGGERS.match(receiver or "-"):
            self._check_log(call)
        elif name == "print" and info.flask_or_django and self.state.is_handler:
            self._check_secret_logged(call)
        if name in _STORAGE_WRITERS and any(_names_a_password(argument) for argument in _all_arguments(call)):
            self._report("password-in-storage", call)
        if name in ("add", "set", "setdefault", "add_header", "set_header") and receiver.endswith("headers"):
            if self._reaches(_argument(call, 1), "header"):
                self._report("header-injection", call)
        headers = _keyword(call, "headers")
        if name in _HTML_RESPONSES | {"JsonResponse", "jsonify"} and isinstance(headers, ast.Dict):
            if any(self._reaches(value, "header") for value in headers.values):
                self._report("header-injection", call)
        if name in _LDAP_SINKS and info.imported("ldap", "ldap3"):
            search_filter = _keyword(call, "search_filter") or _keyword(call, "filterstr")
            arguments = [*call.args[:3], *([search_filter] if search_filter is not None else [])]
            if any(self._reaches(argument, "ldap", web_only=False) for argument in arguments):
                self._report("ldap-injection", call)
        if name in _XPATH_SINKS and first is not None and info.imported("lxml", "xml.etree", "elementpath"):
            built = name in ("xpath", "XPath") or _literal_prefix(first) is not None
            if built and self._reaches(first, "xpath", web_only=False):
                self._report("xpath-injection", call)
        if name in _MONGO_SINKS and first is not None and info.imported("pymongo", "flask_pymongo", "motor", "mongo"):
            self._check_mongo(call, first)
        if name in _REGEX_SINKS and receiver == "re" and first is not None:
            if self._reaches(first, "regex"):
                self._report("regex-injection", call)
            elif isinstance(first, ast.Constant) and isinstance(first.value, str) and _CATASTROPHIC.search(first.value):
                if any(self._reaches(argument, "regex") for argument in call.args[1:2]):
                    self._report("regex-injection", call)
        if name in _XML_PARSERS and first is not None:
            self._check_xml(call, name, receiver, first)
        if name == "XMLParser" and (_is_true(_keyword(call, "resolve_entities")) or self._no_network_off(call)):
            self._report("xxe", call)
        if name == "setFeature" and len(call.args) == 2 and _is_true(call.args[1]):
            if "external" in dotted(call.args[0]).lower():
                self._report("xxe", call)
        self._check_mass_assignment(call, name)
        if name in _ALLOCATORS and first is not None and self._reaches(first, "resource"):
            self._report("resource-from-input", call)

    def _fixed_base(self, node: ast.expr) -> bool:
        """`f"{API_URL}/users/{name}"`: a built URL that starts with the program's own value, not input."""
        first = _first_part(node)
        return first is not None and not isinstance(first, ast.Constant) and self.taint(first) is None

    def _no_network_off(self, call: ast.Call) -> bool:
        value = _keyword(call, "no_network")
        return isinstance(value, ast.Constant) and value.value is False

    def _is_http_call(self, call: ast.Call, name: str, receiver: str) -> bool:
        if name in _URL_OPENERS:
            return name != "Request" or self.info.imported("urllib", "urllib.request")
        if name not in _HTTP_VERBS or not receiver:
            return False
        root = receiver.split(".")[0].removesuffix("()")
        return root in _HTTP_CLIENTS or receiver.endswith(("session", "client", "Session()", "Client()"))

    def _is_html_response(self, call: ast.Call, body: ast.expr) -> bool:
        for keyword in ("mimetype", "content_type", "media_type"):
            value = _keyword(call, keyword)
            if isinstance(value, ast.Constant) and "html" not in str(value.value):
                return False
        # Flask's responses and Django's HttpResponse are text/html unless told otherwise.
        flask_response = call_name(call) in ("make_response", "Response") and self.info.imported("flask")
        return (
            call_name(call) in ("HttpResponse", "HTMLResponse")
            or flask_response
            or _looks_like_html(body)
            or isinstance(body, ast.Name)
        )

    def _safe_filter_with_input(self, call: ast.Call) -> bool:
        template = call.args[0] if call.args else None
        if not (isinstance(template, ast.Constant) and isinstance(template.value, str)):
            return False
        if "|safe" not in template.value.replace(" ", "") and "autoescape false" not in template.value:
            return False
        return any(self._reaches(keyword.value, "xss") for keyword in call.keywords)

    def _check_return(self, statement: ast.Return, node: ast.expr, value: Taint | None) -> None:
        if not (self.state.is_handler and self.info.flask_or_django) or value is None:
            return
        if not value.web or not value.reaches("xss") or value.structured:
            return
        body = node.elts[0] if isinstance(node, ast.Tuple) and node.elts else node
        built = _literal_prefix(body) is not None or (
            isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id in self.info.functions
        )
        raw_text = isinstance(body, ast.Name | ast.Subscript) and self._is_text(body)
        if (built and (_looks_like_html(body) or self.info.imported("flask"))) or raw_text:
            self._report("xss-response", statement)

    def _is_text(self, body: ast.expr) -> bool:
        value = self.taint(body)
        return value is not None and not value.structured and not self._is_response_object(body)

    def _is_response_object(self, body: ast.expr) -> bool:
        return isinstance(body, ast.Name) and body.id in self.responses

    def _check_log(self, call: ast.Call) -> None:
        self._check_secret_logged(call)
        # A whole request dict or form is logged through repr(), which escapes line breaks.
        arguments = [a for a in [*call.args, *(k.value for k in call.keywords)] if not _whole_container(a)]
        if any(self._reaches(argument, "log") for argument in arguments):
            self._report("log-injection", call)

    def _check_secret_logged(self, call: ast.Call) -> None:
        for argument in [*call.args, *(keyword.value for keyword in call.keywords)]:
            for node in ast.walk(argument):
                if isinstance(node, ast.Call) and call_name(node) in _SECRET_SAFE_CALLS:
                    break
                identifier = ""
                if isinstance(node, ast.Name):
                    identifier = node.id
                elif isinstance(node, ast.Attribute):
                    identifier = node.attr
                elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                    identifier = str(node.slice.value)
                if identifier and _is_secret_name(identifier):
                    self._report("secret-in-log", call)
                    return

    def _check_mongo(self, call: ast.Call, query: ast.expr) -> None:
        value = self._reaches(query, "nosql", web_only=False)
        if value is None:
            return
        if not isinstance(query, ast.Dict) and value.structured:
            self._report("nosql-injection", call)
            return
        if isinstance(query, ast.Dict):
            for key, item in zip(query.keys, query.values, strict=True):
                is_where = isinstance(key, ast.Constant) and key.value in ("$where", "$expr", "$function")
                item_value = self._reaches(item, "nosql", web_only=False)
                if item_value is not None and (is_where or item_value.structured):
                    self._report("nosql-injection", call)
                    return

    def _check_xml(self, call: ast.Call, name: str, receiver: str, document: ast.expr) -> None:
        info = self.info
        if info.imported("defusedxml"):
            return
        value = self._reaches(document, "xxe")
        if receiver.endswith("etree") and info.imported("lxml"):
            parser = _argument(call, 1, "parser")
            if value is not None and parser is None:
                self._report("xxe", call)
        elif value is not None and receiver.split(".")[-1] in ("ET", "ElementTree", "minidom", "sax", "pulldom"):
            self._report("xxe", call)

    def _check_mass_assignment(self, call: ast.Call, name: str) -> None:
        for keyword in call.keywords:
            if keyword.arg is None:
                value = self._reaches(keyword.value, "mass")
                if value is not None and value.structured and (name[:1].isupper() or name in _MODEL_WRITERS):
                    self._report("mass-assignment", call)
                    return
        if name == "setattr" and len(call.args) == 3 and self._reaches(call.args[1], "mass"):
            self._report("mass-assignment", call)
        if name == "update" and call.args and isinstance(call.func, ast.Attribute):
            target = call.func.value
            value = self._reaches(call.args[0], "mass")
            if (
                value is not None
                and value.structured
                and isinstance(target, ast.Attribute)
                and target.attr == "__dict__"
            ):
                self._report("mass-assignment", call)


# Where a password must not be written as it is: files, JSON and CSV, cookies.
_STORAGE_WRITERS = frozenset({"write", "writelines", "writerow", "writerows", "dump", "set_cookie"})
_PASSWORD_NAME = re.compile(r"password|passwd|pwd|contrase(?:n|ñ|ni)a|clave|senha|passwort|mot_?de_?passe", re.I)


def _all_arguments(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(keyword.value for keyword in call.keywords)]


def _names_a_password(argument: ast.expr) -> bool:
    """A password itself (`password`, `datos["contraseña"]`), not its hash, length or field name."""
    for node in ast.walk(argument):
        if isinstance(node, ast.Call) and call_name(node) in _SECRET_SAFE_CALLS | _HASHERS:
            return False
        identifier = ""
        if isinstance(node, ast.Name):
            identifier = node.id
        elif isinstance(node, ast.Attribute):
            identifier = node.attr
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            identifier = str(node.slice.value)
        if re.search(r"hash|cifrad|encrypt|salt", identifier, re.IGNORECASE):
            continue
        if identifier and _PASSWORD_NAME.search(identifier) and names_a_secret(identifier):
            return True
    return False


_HASHERS = frozenset({"hash", "hashpw", "generate_password_hash", "make_password", "encrypt", "sha256", "argon2"})


def _whole_container(node: ast.expr) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get_json":
        return True
    return (
        isinstance(node, ast.Attribute)
        and node.attr in ("json", "form", "args", "values", "GET", "POST", "headers", "cookies")
        and isinstance(node.value, ast.Name)
        and node.value.id in _REQUEST_NAMES
    )


_MODEL_WRITERS = frozenset({"create", "update", "get_or_create", "update_or_create", "insert", "model_validate"})
_SECRET_SAFE_CALLS = frozenset({"len", "hash_password", "generate_password_hash", "mask", "bool"})
_LOGGED_SECRET_WORDS = re.compile(
    r"pass(?:word|wd)?|pwd|contrase(?:n|ñ|ni)a|secret|secreto|token|api_?key|apikey|credential|credencial|cvv|"
    r"card_?number|numero_?tarjeta|(?<![a-z])ssn(?![a-z])",
    re.IGNORECASE,
)


def _is_secret_name(identifier: str) -> bool:
    if not _LOGGED_SECRET_WORDS.search(identifier):
        return False
    lowered = identifier.lower()
    harmless = ("hash", "length", "len", "policy", "expir", "reset_url", "field", "type", "given", "provided", "valid")
    if any(word in lowered for word in harmless) or lowered.startswith(("is_", "has_")) or lowered.endswith("_ok"):
        return False
    return is_logged_secret_name(identifier)


def is_logged_secret_name(identifier: str) -> bool:
    """A name that holds a secret: the secret scanner's words, or a card number, CVV or social security number."""
    lowered = identifier.lower()
    card = re.search(r"cvv|card_?number|cardnumber|numero_?tarjeta|(?<![a-z])ssn(?![a-z])", lowered)
    return names_a_secret(identifier) or card is not None
