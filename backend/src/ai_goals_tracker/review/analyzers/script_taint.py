"""Intra-file taint tracking for JavaScript and TypeScript on tree-sitter trees.

Sources: Express and Next.js `req.query/params/body/headers/cookies/url`, `req.get()`, Koa
`ctx.query/params/request.body/headers`, `ctx.get()`, the App Router's `await request.json()` and
`new URL(request.url).searchParams`, the browser's `location`, and `process.argv` for the classes
where a script's own user can still harm others.

Values are followed through declarations (destructuring included), assignments, template strings,
`+`, `||`/`??`, object and array literals, `await`, TypeScript casts, methods of a value that carries
input, closures (a callback sees its enclosing function's variables) and the file's own functions
(arguments into parameters, returns back to callers, to a fixed point). Sanitizers (`parseInt`,
`path.basename`, `escapeHtml`, `String()` for query operators…) and guards in the same function
(`ALLOWED.includes(x)`, `resolved.startsWith(root)`) clean a value for the classes they protect.

Recursion is bounded by depth: past it a subtree is not followed (tree-sitter trees of hostile input
can be deeper than Python's stack).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from ai_goals_tracker.review.analyzers.python_taint import is_logged_secret_name

Hazard = tuple[str, int, int]

ALL = frozenset(
    {"path", "redirect", "ssrf", "sql", "xss", "shell", "code", "template", "header", "log", "ldap", "xpath"}
    | {"nosql", "regex", "mass"}
)
# Deeper than any file a person writes; past it the review says it cannot decide instead of guessing.
_MAX_DEPTH = 300


class TooDeepToFollow(RecursionError):
    """The file nests expressions deeper than the tracker follows: the review ends `not_reviewed`."""


_MAX_ROUNDS = 5


@dataclass(frozen=True, slots=True)
class Taint:
    cleaned: frozenset[str] = frozenset()
    structured: bool = False
    web: bool = True

    def merge(self, other: Taint | None) -> Taint:
        if other is None:
            return self
        return Taint(self.cleaned & other.cleaned, self.structured or other.structured, self.web or other.web)

    def clean(self, classes: frozenset[str], *, structured: bool | None = None) -> Taint:
        return Taint(self.cleaned | classes, self.structured if structured is None else structured, self.web)

    def reaches(self, kind: str) -> bool:
        return kind not in self.cleaned


def _merge(values: list[Taint | None]) -> Taint | None:
    result: Taint | None = None
    for value in values:
        if value is not None:
            result = value if result is None else result.merge(value)
    return result


_REQUEST_OBJECTS = frozenset({"req", "request", "ctx", "ctx.request", "context.request", "event", "c.req"})
_STRUCTURED = frozenset({"body", "query", "fields", "payload"})
_TEXT = frozenset(
    {"params", "headers", "cookies", "url", "originalUrl", "path", "hostname", "ip", "querystring", "href", "search"}
)
_QUERY_STRING = frozenset({"body"})
_VALIDATORS = ("express-mongo-sanitize", "mongo-sanitize", "express-validator", "joi", "zod", "yup", "celebrate")
_WHOLE_REQUEST = re.compile(r"^(?:req|request|ctx)(?:\.request)?\.(?:body|query|params|headers|cookies)$")
_RESPONSES = re.compile(r"^(?:res|response|reply|ctx\.res)(?:\.(?:status|type|set|header|cookie|vary)\([^()]*\))*$")
_ROUTE_EXPORTS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "getServerSideProps"})
_AUTH_KEYS = re.compile(r"pass|pwd|contrase|clave|token|secret|pin|code|codigo|otp|hash", re.IGNORECASE)
_UNBROKEN = frozenset({"headers", "url", "originalUrl", "path", "hostname", "ip", "href"})
_NO_LINE_BREAKS = frozenset({"log", "header"})
_SOURCE_CALLS = frozenset({"get", "header", "param", "query", "json", "formData", "text"})
_BROWSER = re.compile(
    r"^(?:window\.)?(?:document\.)?location(?:\.(?:search|hash|href|pathname))?$|^document\.(?:URL|referrer)$"
)

_NUMERIC = ALL
_SANITIZERS: dict[str, frozenset[str]] = {
    "parseInt": _NUMERIC,
    "parseFloat": _NUMERIC,
    "Number": _NUMERIC,
    "Boolean": _NUMERIC,
    "isNaN": _NUMERIC,
    "basename": frozenset({"path"}),
    "escapeHtml": frozenset({"xss", "template"}),
    "escape": frozenset({"xss", "sql", "template"}),
    "encode": frozenset({"xss"}),
    "sanitize": frozenset({"xss", "nosql", "mass"}),
    "sanitizeHtml": frozenset({"xss"}),
    "xss": frozenset({"xss"}),
    "filterXSS": frozenset({"xss"}),
    "encodeURIComponent": frozenset({"xss", "header", "log", "path", "shell"}),
    "escapeRegExp": frozenset({"regex"}),
    "escapeRegex": frozenset({"regex"}),
    "escapeFilter": frozenset({"ldap"}),
    "escapeXpath": frozenset({"xpath"}),
    "stringify": frozenset({"log", "header"}),
    "test": _NUMERIC,
    "includes": _NUMERIC,
    "has": _NUMERIC,
    "startsWith": _NUMERIC,
    "verify": _NUMERIC,
    "compare": _NUMERIC,
    "compareSync": _NUMERIC,
    "length": _NUMERIC,
    "hash": _NUMERIC,
    "digest": _NUMERIC,
    "isValidObjectId": _NUMERIC,
}
_BUILDERS = frozenset(
    {"String", "join", "resolve", "normalize", "decodeURIComponent", "decodeURI", "parse", "from", "URL", "concat"}
    | {"format", "assign", "Buffer", "URLSearchParams", "fileURLToPath"}
)
_GUARDS: dict[str, frozenset[str]] = {
    "includes": ALL - {"log"},
    "has": ALL - {"log"},
    "indexOf": ALL - {"log"},
    "startsWith": frozenset({"path", "redirect", "ssrf"}),
    "relative": frozenset({"path"}),
    "isValidUrl": frozenset({"redirect", "ssrf"}),
    "isSafeUrl": frozenset({"redirect", "ssrf"}),
    "isAllowed": frozenset({"redirect", "ssrf", "path"}),
    "isValidObjectId": frozenset({"nosql"}),
}

_FS_SINKS = frozenset(
    {"readFile", "readFileSync", "createReadStream", "createWriteStream", "writeFile", "writeFileSync"}
    | {"appendFile", "appendFileSync", "unlink", "unlinkSync", "readdir", "readdirSync", "rm", "rmSync", "stat"}
    | {"statSync", "open", "openSync", "copyFile", "copyFileSync", "rename", "renameSync", "mkdir", "mkdirSync"}
)
_SEND_FILE = frozenset({"sendFile", "download", "sendfile"})
_HTTP_CLIENTS = frozenset({"fetch", "axios", "got", "request", "needle", "superagent", "ky", "undici"})
_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "request", "stream"})
_HTTP_MODULES = frozenset({"axios", "got", "http", "https", "needle", "superagent", "request", "ky", "undici"})
_SQL_METHODS = frozenset({"query", "execute", "raw", "$queryRawUnsafe", "$executeRawUnsafe", "exec", "all", "run"})
_SQL_METHODS |= frozenset({"get", "prepare"})
_MONGO_METHODS = frozenset(
    {"find", "findOne", "findOneAndUpdate", "findOneAndDelete", "updateOne", "updateMany", "deleteOne"}
    | {"deleteMany", "countDocuments", "where", "findOneAndReplace", "replaceOne", "aggregate", "exists"}
)
_MASS_METHODS = frozenset(
    {"create", "insertOne", "insertMany", "build", "findByIdAndUpdate", "update", "updateOne", "set", "upsert"}
    | {"findOneAndUpdate", "save", "insert", "updateMany"}
)
_BUILTIN_CLASSES = frozenset(
    {"URL", "Error", "Date", "Map", "Set", "RegExp", "Promise", "Buffer", "URLSearchParams", "Array", "Object"}
    | {"TypeError", "RangeError", "Response", "Request", "Headers", "Blob", "File", "FormData", "Intl", "WeakMap"}
)
_TEMPLATE_COMPILERS = frozenset({"compile", "render", "renderString", "template", "compileFile"})
_TEMPLATE_MODULES = re.compile(
    r"^(?:ejs|pug|jade|Handlebars|handlebars|hbs|nunjucks|_|lodash|doT|dot|mustache|Mustache)$"
)
_LOG_RECEIVERS = re.compile(r"^(?:console|logger|log|winston|pino|app\.log|fastify\.log|\w*[lL]ogger)$")
_LOG_METHODS = frozenset({"log", "info", "warn", "error", "debug", "trace"})
_HEADER_SETTERS = frozenset({"setHeader", "set", "header", "append", "writeHead"})
_NOT_SECRET = re.compile(
    r"hash|length|len\b|policy|expir|type|field|url|name|label|header|given|provided|valid|match|changed|exists|"
    r"required|strength|reset|(?-i:^is[A-Z_]|^has[A-Z_]|Ok$)|_ok$",
    re.IGNORECASE,
)
_CATASTROPHIC = re.compile(r"\((?:[^()]{0,40}[+*]|[^()]{0,40}\|[^()]{0,40})\)(?:[+*]|\{\d+,\})")
_WEAK_CIPHERS = re.compile(r"^(?:des|des-|des3|rc4|rc2|bf|blowfish|.*-ecb$|idea|cast)", re.IGNORECASE)
_SECRET_USE = re.compile(
    r"token|passw|pwd|contrase|secret|secreto|otp|nonce|salt|sess?ion_?(?:id|key|token|clave)|sessionid|\bsid\b|csrf|api_?key|apikey|"
    r"(?:reset|verif\w*|activation|activacion|confirm\w*|recovery|recuperacion|auth|login|acceso|2fa|mfa|invite)_?"
    r"(?:code|codigo|pin|key|clave|link|id)|(?:code|codigo|pin)_?(?:reset|verif\w*|recuperacion|acceso|2fa|mfa)|"
    r"clave|cookie|jwt|signing|firma|(?:generate|gen|crypto|encryption|aes|secret|private|signing)_?key",
    re.IGNORECASE,
)
_GAME_WORDS = re.compile(
    r"number|numero|número|(?<!pass)word|palabra|color|card|carta|dice|dado|guess|adivin|game|juego|pregunta|question|"
    r"quiz|trivia|deck|baraja|team|equipo|length|longitud|len\b|size|(?<!ac)count|attempt|intento|delay|wait|espera|retry",
    re.IGNORECASE,
)


def text(node: Node | None) -> str:
    return (node.text or b"").decode("utf-8", errors="replace") if node is not None else ""


def _unquoted(node: Node | None) -> str:
    return text(node).strip("'\"`")


def _callee_parts(call: Node) -> tuple[str, str]:
    """(method or function name, receiver text) of a call or `new`."""
    callee = call.child_by_field_name("function") or call.child_by_field_name("constructor")
    if callee is None:
        return "", ""
    if callee.type == "member_expression":
        return text(callee.child_by_field_name("property")), text(callee.child_by_field_name("object"))
    return text(callee), ""


def _arguments(call: Node) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    return [child for child in arguments.named_children if child.type != "comment"] if arguments else []


_JOINING = frozenset({"+", "||", "??", "&&"})


def _operands(node: Node, operators: frozenset[str] | None) -> list[Node]:
    """The operands of a chain of binary operators (all of them, or only `operators`), in order."""
    found: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        operator = current.child_by_field_name("operator")
        if current.type == "binary_expression" and operator is not None:
            if operators is not None and operator.type not in operators:
                continue
            stack.extend(c for c in (current.child_by_field_name("right"), current.child_by_field_name("left")) if c)
        else:
            found.append(current)
    return found


def _leftmost(node: Node) -> Node:
    """The first operand of a chain of `+` (iteratively: a chain can be thousands long)."""
    while node.type == "binary_expression":
        left = node.child_by_field_name("left")
        if left is None:
            break
        node = left
    return node


def _literal_prefix(node: Node) -> str | None:
    """The constant text a built string starts with ("" when input comes first), None if not built."""
    if node.type == "binary_expression":
        first = _leftmost(node)
        if first.type == "string":
            return _unquoted(first)
        return _literal_prefix(first) if first.type == "template_string" else ""
    if node.type == "template_string":
        prefix = ""
        for child in node.children:
            if child.type == "template_substitution":
                return prefix
            if child.type == "string_fragment":
                prefix += text(child)
        return prefix
    return None


def _first_part(node: Node) -> Node | None:
    if node.type == "binary_expression":
        first = _leftmost(node)
        return _first_part(first) or first if first.type == "template_string" else first
    if node.type == "template_string":
        for child in node.named_children:
            if child.type == "template_substitution":
                return child.named_children[0] if child.named_children else None
            if child.type == "string_fragment":
                return child
        return None
    return None


def _controls_host(node: Node) -> bool:
    if node.type == "new_expression" and text(node.child_by_field_name("constructor")) == "URL":
        arguments = _arguments(node)
        if len(arguments) > 1:
            first = arguments[0]
            prefix = _literal_prefix(first)
            return prefix is None or prefix == "" or not prefix.startswith("/")
        return bool(arguments) and _controls_host(arguments[0])
    prefix = _literal_prefix(node)
    if prefix is None:
        return True
    return prefix == "" or re.fullmatch(r"(?:[a-z][a-z0-9+.-]*:)?//[^/?#]*", prefix, re.IGNORECASE) is not None


def _external_redirect(node: Node) -> bool:
    prefix = _literal_prefix(node)
    if prefix is None or prefix == "":
        return _controls_host(node) if node.type == "new_expression" else True
    return not (prefix.startswith("/") and not prefix.startswith("//")) and not prefix.startswith("?")


def _looks_like_html(node: Node) -> bool:
    return bool(re.search(r"<\w|</", text(node))) and node.type in ("template_string", "binary_expression")


_FUNCTIONS = frozenset(
    {"function_declaration", "function_expression", "arrow_function", "method_definition", "function"}
    | {"generator_function_declaration", "generator_function"}
)


@dataclass(slots=True)
class _Function:
    node: Node
    params: list[str]
    tainted: dict[str, Taint] = field(default_factory=dict)
    returns: Taint | None = None


class ScriptTaint:
    def __init__(self, root: Node, imports: list[str]) -> None:
        self.root = root
        self.imports = frozenset(name.removeprefix("node:") for name in imports)
        self.functions: dict[str, _Function] = {}
        self.hazards: set[Hazard] = set()
        self.changed = False
        self.server = bool(self.imports & {"express", "koa", "fastify", "http", "https", "next/server", "hono"}) or (
            "next" in self.imports
        )
        self._collect_functions()
        self._guard_cache: dict[tuple[int, int], dict[str, frozenset[str]]] = {}
        self._by_position = {(f.node.start_byte, f.node.end_byte): f for f in self.functions.values()}

    def imported(self, *names: str) -> bool:
        return any(name in self.imports or any(i.startswith(name + "/") for i in self.imports) for name in names)

    def run(self) -> list[Hazard]:
        for _ in range(_MAX_ROUNDS):
            self.changed = False
            self.hazards = set()
            self._walk_scope(self.root, {}, None, 0)
            if not self.changed:
                break
        return sorted(self.hazards, key=lambda hazard: hazard[1])

    # ---- functions

    def _collect_functions(self) -> None:
        stack = [self.root]
        while stack:
            node = stack.pop()
            name = ""
            if node.type in ("function_declaration", "generator_function_declaration", "method_definition"):
                name = text(node.child_by_field_name("name"))
                function = node
            elif node.type == "variable_declarator":
                value = node.child_by_field_name("value")
                function = value if value is not None and value.type in _FUNCTIONS else node
                if function is not node:
                    name = text(node.child_by_field_name("name"))
            if name:
                self.functions[name] = _Function(function, self._params(function))
                if name in _ROUTE_EXPORTS:
                    self._route_parameters(self.functions[name], function)
            stack.extend(node.named_children)

    def _route_parameters(self, function: _Function, node: Node) -> None:
        """Next.js App Router and `getServerSideProps`: `{ params }` and `{ query }` come from the URL."""
        parameters = node.child_by_field_name("parameters")
        if parameters is None:
            return
        for parameter in parameters.named_children:
            for identifier in _identifiers(parameter):
                if identifier in ("params", "query", "searchParams"):
                    function.tainted[identifier] = Taint(structured=identifier == "query")

    def _params(self, function: Node) -> list[str]:
        parameters = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
        if parameters is None:
            return []
        if parameters.type == "identifier":
            return [text(parameters)]
        names = []
        for child in parameters.named_children:
            pattern = child.child_by_field_name("pattern") if child.type != "identifier" else child
            pattern = pattern or child
            names.append(text(pattern) if pattern.type == "identifier" else "")
        return names

    def _function_named(self, node: Node) -> _Function | None:
        return self._by_position.get((node.start_byte, node.end_byte))

    # ---- scopes and statements

    def _walk_scope(self, scope: Node, outer: dict[str, Taint], function: _Function | None, depth: int) -> None:
        env = dict(outer)
        guards: dict[str, frozenset[str]] = {}
        if function is not None:
            env.update(function.tainted)
        if scope.type in _FUNCTIONS:
            # Guards depend on the tree alone: found once, whatever the number of rounds.
            key = (scope.start_byte, scope.end_byte)
            if key not in self._guard_cache:
                self._guard_cache[key] = {}
                self._guards(scope, self._guard_cache[key])
            guards.update(self._guard_cache[key])
        body = scope.child_by_field_name("body") if scope.type in _FUNCTIONS else scope
        if body is None:
            return
        state = _Scope(env, guards, function)
        if body.type not in ("statement_block", "program", "class_body"):
            # An arrow function's expression body is what it returns.
            self._visit(body, state, depth + 1)
            self._returned(state, self.taint(body, state, 0))
            return
        self._visit(body, state, depth + 1)

    def _guards(self, scope: Node, guards: dict[str, frozenset[str]]) -> None:
        stack = list(scope.named_children)
        while stack:
            node = stack.pop()
            if node.type in _FUNCTIONS:
                continue
            if node.type == "call_expression":
                name, _ = _callee_parts(node)
                classes = _GUARDS.get(name)
                if classes is not None:
                    subjects: list[Node | None] = list(_arguments(node))
                    if name == "startsWith":
                        callee = node.child_by_field_name("function")
                        subjects = [callee.child_by_field_name("object")] if callee is not None else []
                    for subject in subjects:
                        for identifier in _identifiers(subject):
                            guards[identifier] = guards.get(identifier, frozenset()) | classes
                    if name == "startsWith":
                        guards["*"] = guards.get("*", frozenset()) | classes
            elif node.type == "unary_expression" and text(node).startswith("typeof"):
                for identifier in _identifiers(node):
                    guards[identifier] = guards.get(identifier, frozenset()) | frozenset({"nosql", "mass"})
            elif node.type == "binary_expression" and re.search(r"\.(?:hostname|host|origin|protocol)\b", text(node)):
                guards["*"] = guards.get("*", frozenset()) | frozenset({"redirect", "ssrf"})
            stack.extend(node.named_children)

    def _visit(self, node: Node, state: _Scope, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise TooDeepToFollow(f"expressions nested more than {_MAX_DEPTH} levels deep")
        kind = node.type
        if kind in _FUNCTIONS:
            self._walk_scope(node, state.env, self._function_named(node), depth)
            return
        if kind == "binary_expression":
            for operand in _operands(node, None):
                self._visit(operand, state, depth + 1)
            return
        if kind == "variable_declarator":
            value = node.child_by_field_name("value")
            if value is not None:
                self._visit(value, state, depth + 1)
                self._bind(node.child_by_field_name("name"), self.taint(value, state, 0), state)
            return
        if kind == "assignment_expression" or kind == "augmented_assignment_expression":
            right = node.child_by_field_name("right")
            left = node.child_by_field_name("left")
            if right is not None:
                self._visit(right, state, depth + 1)
                assigned = self.taint(right, state, 0)
                if kind == "augmented_assignment_expression" and left is not None:
                    assigned = _merge([assigned, self.taint(left, state, 0)])
                self._check_assignment(node, left, right, assigned)
                self._bind(left, assigned, state)
            return
        if kind in ("call_expression", "new_expression"):
            self._check_call(node, state)
            name, receiver = _callee_parts(node)
            if name in self.functions and (not receiver or receiver == "this"):
                self.taint(node, state, 0)  # hands tainted arguments to the file's own function
        elif kind == "return_statement" and node.named_children:
            self._returned(state, self.taint(node.named_children[0], state, 0))
        elif kind == "regex":
            self._check_regex_literal(node, state)
        for child in node.named_children:
            self._visit(child, state, depth + 1)

    def _returned(self, state: _Scope, value: Taint | None) -> None:
        function = state.function
        if function is None or value is None:
            return
        combined = value.merge(function.returns) if function.returns is not None else value
        if combined != function.returns:
            function.returns = combined
            self.changed = True

    def _bind(self, target: Node | None, value: Taint | None, state: _Scope) -> None:
        if target is None:
            return
        if target.type in ("identifier", "shorthand_property_identifier_pattern"):
            if value is None:
                state.env.pop(text(target), None)
            else:
                state.env[text(target)] = value
        elif target.type in ("object_pattern", "array_pattern", "pair_pattern", "rest_pattern"):
            for child in target.named_children:
                if target.type == "pair_pattern" and child == target.child_by_field_name("key"):
                    continue
                self._bind(child, value, state)
        elif target.type in ("assignment_pattern", "object_assignment_pattern"):
            self._bind(target.child_by_field_name("left") or target.named_children[0], value, state)
        elif target.type == "member_expression" and value is not None:
            state.env[text(target)] = value
            obj = target.child_by_field_name("object")
            if obj is not None and obj.type == "identifier":
                state.env[text(obj)] = value.merge(state.env.get(text(obj)))

    # ---- values

    def taint(self, node: Node | None, state: _Scope, depth: int) -> Taint | None:
        if node is None:
            return None
        if depth > _MAX_DEPTH:
            raise TooDeepToFollow(f"expressions nested more than {_MAX_DEPTH} levels deep")
        kind = node.type
        if kind in ("identifier", "shorthand_property_identifier"):
            return self._guarded(text(node), state.env.get(text(node)), state)
        if kind == "member_expression":
            source = _source(node)
            if source is not None:
                return source
            whole = state.env.get(text(node))
            if whole is not None:
                return whole
            if text(node.child_by_field_name("property")) == "length":
                return None
            return self.taint(node.child_by_field_name("object"), state, depth + 1)
        if kind == "subscript_expression":
            container = self.taint(node.child_by_field_name("object"), state, depth + 1)
            return container
        if kind in ("call_expression", "new_expression"):
            return self._call_taint(node, state, depth)
        if kind == "template_string":
            return _merge(
                [
                    self.taint(child, state, depth + 1)
                    for child in node.named_children
                    if child.type != "string_fragment"
                ]
            )
        if kind == "template_substitution":
            return _merge([self.taint(child, state, depth + 1) for child in node.named_children])
        if kind == "binary_expression":
            # A chain of `+` is as deep as it is long: its operands are taken flat.
            return _merge([self.taint(operand, state, depth + 1) for operand in _operands(node, _JOINING)])
        if kind == "ternary_expression":
            return _merge(
                [
                    self.taint(node.child_by_field_name("consequence"), state, depth + 1),
                    self.taint(node.child_by_field_name("alternative"), state, depth + 1),
                ]
            )
        if kind in (
            "parenthesized_expression",
            "await_expression",
            "as_expression",
            "satisfies_expression",
            "non_null_expression",
            "spread_element",
            "type_assertion",
            "sequence_expression",
        ):
            return _merge([self.taint(child, state, depth + 1) for child in node.named_children[:1]])
        if kind in ("object", "array"):
            values = []
            for child in node.named_children:
                if child.type == "pair":
                    values.append(self.taint(child.child_by_field_name("value"), state, depth + 1))
                else:
                    values.append(self.taint(child, state, depth + 1))
            combined = _merge(values)
            return (
                combined.clean(frozenset(), structured=False) if combined is not None and kind == "object" else combined
            )
        return None

    def _guarded(self, name: str, value: Taint | None, state: _Scope) -> Taint | None:
        if value is None:
            return None
        classes = state.guards.get(name, frozenset()) | state.guards.get("*", frozenset())
        return value.clean(classes) if classes else value

    def _call_taint(self, call: Node, state: _Scope, depth: int) -> Taint | None:
        name, receiver = _callee_parts(call)
        callee = call.child_by_field_name("function") or call.child_by_field_name("constructor")
        if receiver in _REQUEST_OBJECTS and name in _SOURCE_CALLS:
            if name in ("get", "header"):
                return Taint(cleaned=_NO_LINE_BREAKS)  # a header value
            return Taint(structured=name in ("json", "formData", "query"))
        if receiver.endswith("cookies") and name == "get":
            return Taint()
        if name in ("get", "getAll") and receiver.endswith("searchParams"):
            object_taint = self.taint(callee.child_by_field_name("object") if callee else None, state, depth + 1)
            return object_taint or (Taint() if "request" in receiver or "req" in receiver else None)
        arguments = _arguments(call)
        receiver_node = (
            callee.child_by_field_name("object") if callee is not None and callee.type == "member_expression" else None
        )
        receiver_taint = self.taint(receiver_node, state, depth + 1) if receiver_node is not None else None
        cleaned = _SANITIZERS.get(name)
        if cleaned is not None:
            inputs = _merge([receiver_taint, *(self.taint(argument, state, depth + 1) for argument in arguments)])
            if inputs is None or cleaned >= ALL:
                return None
            return inputs.clean(cleaned)
        if name == "String" and not receiver:
            value = _merge([self.taint(argument, state, depth + 1) for argument in arguments])
            return value.clean(frozenset({"nosql", "mass"}), structured=False) if value is not None else None
        if name == "replace" and receiver_taint is not None and re.search(r"\\[rn]", text(call)):
            return receiver_taint.clean(frozenset({"log", "header"}))
        local = self.functions.get(name) if not receiver or receiver == "this" else None
        if local is not None:
            self._pass_to(local, arguments, state)
            return local.returns
        if name in _BUILDERS:
            return _merge([receiver_taint, *(self.taint(argument, state, depth + 1) for argument in arguments)])
        if receiver_taint is not None:
            if name in ("then", "map", "filter", "forEach", "reduce"):
                return receiver_taint
            return receiver_taint
        return None

    def _pass_to(self, callee: _Function, arguments: list[Node], state: _Scope) -> None:
        for index, argument in enumerate(arguments):
            if index >= len(callee.params) or not callee.params[index]:
                continue
            value = self.taint(argument, state, 0)
            if value is None:
                continue
            parameter = callee.params[index]
            old = callee.tainted.get(parameter)
            new = value.merge(old) if old is not None else value
            if new != old:
                callee.tainted[parameter] = new
                self.changed = True

    # ---- sinks

    def _report(self, rule: str, node: Node) -> None:
        self.hazards.add((rule, node.start_point.row + 1, node.end_point.row + 1))

    def _reaches(self, node: Node | None, kind: str, state: _Scope, *, web_only: bool = True) -> Taint | None:
        value = self.taint(node, state, 0)
        if value is None or not value.reaches(kind) or (web_only and not value.web):
            return None
        return value

    def _check_call(self, call: Node, state: _Scope) -> None:
        name, receiver = _callee_parts(call)
        arguments = _arguments(call)
        first = arguments[0] if arguments else None
        last = arguments[-1] if arguments else None
        is_new = call.type == "new_expression"
        if first is None:
            return
        # Open redirect: res.redirect(url), res.redirect(302, url), ctx.redirect(url), NextResponse.redirect(url).
        if name == "redirect" and receiver:
            target = last if last is not None and last.type != "number" else first
            if (
                self._reaches(target, "redirect", state)
                and _external_redirect(target)
                and not self._fixed_base(target, state)
            ):
                self._report("open-redirect", call)
        if name in ("assign", "replace", "open") and receiver in (
            "location",
            "window.location",
            "window",
            "document.location",
        ):
            if self._reaches(first, "redirect", state) and _external_redirect(first):
                self._report("open-redirect", call)
        # SSRF.
        if self._is_http_call(name, receiver) and not is_new:
            url: Node | None = first
            if first.type == "object":
                url = _property(first, "url") or _property(first, "host") or _property(first, "hostname")
            if (
                url is not None
                and self._reaches(url, "ssrf", state)
                and _controls_host(url)
                and not self._fixed_base(url, state)
            ):
                self._report("ssrf", call)
        # Path traversal.
        from_fs = receiver.startswith(("fs", "fsp", "promises")) or receiver.endswith("promises")
        if name in _FS_SINKS and (from_fs or (not receiver and self.imported("fs", "node:fs", "fs-extra"))):
            if self._reaches(first, "path", state):
                self._report("path-traversal", call)
        if name in _SEND_FILE and receiver:
            has_root = any(
                argument.type == "object" and _property(argument, "root") is not None for argument in arguments[1:]
            )
            if not has_root and self._reaches(first, "path", state):
                self._report("path-traversal", call)
        # XSS in a server response.
        # Express answers a string as text/html: `res.send`, also after `res.status(404)`.
        if name in ("send", "write", "end") and _RESPONSES.match(receiver):
            value = self._reaches(first, "xss", state)
            shapes = ("member_expression", "identifier", "template_string", "binary_expression")
            # Echoing a whole body or query object answers JSON.
            if value is not None and first.type in shapes and not _WHOLE_REQUEST.match(text(first)):
                self._report("xss-response", call)
        # SQL built elsewhere and passed as a variable (literals built in place are sql-injection-js).
        if name in _SQL_METHODS and receiver and first.type in ("identifier", "member_expression"):
            if self._reaches(first, "sql", state, web_only=False) and not self._sql_params(arguments):
                if self.imported("mysql", "mysql2", "pg", "sqlite3", "better-sqlite3", "sequelize", "knex", "mssql"):
                    self._report("sql-injection-js", call)
        # Shell commands from input held in variables.
        if name in ("exec", "execSync") and first.type in ("identifier", "member_expression", "call_expression"):
            if self.imported("child_process") and self._reaches(first, "shell", state, web_only=False):
                self._report("shell-injection-js", call)
        if name in ("spawn", "spawnSync", "execFile", "execFileSync") and self.imported("child_process"):
            shell = any(
                argument.type == "object" and text(_property(argument, "shell")) == "true" for argument in arguments
            )
            if shell and any(self._reaches(argument, "shell", state, web_only=False) for argument in arguments[:2]):
                self._report("shell-injection-js", call)
        # Code from strings, and modules loaded by a name from the request.
        if name == "require" and not receiver and first.type != "string" and self._reaches(first, "code", state):
            self._report("code-injection", call)
        if name in ("runInNewContext", "runInThisContext", "runInContext", "compileFunction") or (
            is_new and name == "Script" and receiver == "vm"
        ):
            if self._reaches(first, "code", state, web_only=False):
                self._report("code-injection", call)
        if name in ("setTimeout", "setInterval") and first.type not in _FUNCTIONS and first.type != "identifier":
            if self._reaches(first, "code", state, web_only=False):
                self._report("code-injection", call)
        # Template injection.
        if name in _TEMPLATE_COMPILERS and _TEMPLATE_MODULES.match(receiver or "-"):
            if self._reaches(first, "template", state, web_only=False):
                self._report("template-injection", call)
        # NoSQL injection.
        if name in _MONGO_METHODS and self.imported("mongoose", "mongodb", "monk", "mongojs"):
            self._check_mongo(call, first, state)
        # Mass assignment.
        self._check_mass_assignment(call, name, receiver, arguments, state)
        # Header injection (a Location header is a redirect).
        if name in _HEADER_SETTERS and receiver.split(".")[-1] in ("res", "response", "ctx", "reply", "headers"):
            self._check_header(call, name, arguments, state)
        # Logs.
        if name in _LOG_METHODS and _LOG_RECEIVERS.match(receiver or "-"):
            self._check_log(call, arguments, state)
        # A password written as it is into storage: files, cookies, the browser's storage.
        stores = (name in ("setItem",) and receiver.endswith(("localStorage", "sessionStorage"))) or (
            name in ("writeFile", "writeFileSync", "appendFile", "appendFileSync", "cookie")
        )
        if stores and any(_holds_a_password(argument) for argument in arguments):
            self._report("password-in-storage", call)
        # LDAP and XPath.
        if name == "search" and self.imported("ldapjs", "ldapts"):
            if any(self._reaches(argument, "ldap", state, web_only=False) for argument in arguments[:2]):
                self._report("ldap-injection", call)
        if (
            name in ("select", "select1", "evaluate", "useNamespaces")
            and self.imported("xpath", "@xmldom/xmldom", "xmldom")
        ) or (name == "evaluate" and receiver == "document"):
            if self._reaches(first, "xpath", state, web_only=False):
                self._report("xpath-injection", call)
        # XXE.
        if name in ("parseXml", "parseXmlString", "parseXmlAsync") and any(
            argument.type == "object" and text(_property(argument, "noent")) == "true" for argument in arguments
        ):
            self._report("xxe", call)
        # Regular expressions from input.
        if name == "RegExp" and not receiver:
            if self._reaches(first, "regex", state):
                self._report("regex-injection", call)
        # Insecure randomness, weak ciphers, permissions, CORS.
        if name in ("createCipher", "createDecipher") and receiver.endswith("crypto"):
            self._report("weak-cipher", call)
        if name in ("createCipheriv", "createDecipheriv") and first.type == "string":
            if _WEAK_CIPHERS.match(_unquoted(first)):
                self._report("weak-cipher", call)
        if name in ("chmod", "chmodSync", "fchmod", "fchmodSync") and len(arguments) > 1:
            if _world_writable(text(arguments[1])):
                self._report("insecure-permissions", call)
        if name == "cors" and first.type == "object":
            origin = text(_property(first, "origin"))
            if text(_property(first, "credentials")) == "true" and (
                origin in ("true", "'*'", '"*"') or "=> cb(null, true)" in origin or "callback(null, true)" in origin
            ):
                self._report("permissive-cors", call)

    def _fixed_base(self, node: Node, state: _Scope) -> bool:
        """`${API_URL}/users/${id}`: a built URL that starts with the program's own value, not input."""
        first = _first_part(node)
        return (
            first is not None
            and first.type not in ("string_fragment", "string")
            and self.taint(first, state, 0) is None
        )

    def _sql_params(self, arguments: list[Node]) -> bool:
        return len(arguments) > 1 and arguments[1].type in ("array", "object")

    def _is_http_call(self, name: str, receiver: str) -> bool:
        if not receiver:
            return name in _HTTP_CLIENTS and (name == "fetch" or self.imported(name))
        root = receiver.split(".")[0]
        return (name in _HTTP_METHODS and root in _HTTP_MODULES and self.imported(root)) or (
            name == "get" and root in ("http", "https")
        )

    def _check_mongo(self, call: Node, query: Node, state: _Scope) -> None:
        value = self._reaches(query, "nosql", state, web_only=False)
        if value is None:
            return
        # A body checked by a schema or stripped of `$` keys by a sanitizer carries no operators; `$where`
        # with input is still code.
        validated = self.imported(*_VALIDATORS)
        if validated and "$where" not in text(query):
            return
        if query.type != "object":
            if value.structured:
                self._report("nosql-injection", call)
            return
        for pair in query.named_children:
            item = pair.child_by_field_name("value") if pair.type == "pair" else pair
            key = _unquoted(pair.child_by_field_name("key")) if pair.type == "pair" else ""
            item_value = self._reaches(item, "nosql", state, web_only=False)
            if item_value is None:
                continue
            by_query_only = not item_value.reaches("body") and not _AUTH_KEYS.search(key)
            if key == "$where" or (
                item_value.structured and not by_query_only and (item is None or item.type != "template_string")
            ):
                self._report("nosql-injection", call)
                return

    def _check_mass_assignment(
        self, call: Node, name: str, receiver: str, arguments: list[Node], state: _Scope
    ) -> None:
        candidates: list[Node] = []
        if name == "assign" and receiver == "Object":
            # `Object.assign({}, DEFAULTS, req.query)` builds a fresh options object, not a stored model.
            candidates = arguments[1:] if arguments and arguments[0].type != "object" else []
        elif call.type == "new_expression" and name[:1].isupper() and name not in _BUILTIN_CLASSES:
            candidates = arguments[:1]
        elif name in _MASS_METHODS and receiver:
            # `create(body)`, `findByIdAndUpdate(id, body)`, Prisma's `update({ where, data: body })`.
            candidates = arguments[1:2] if len(arguments) > 1 else arguments[:1]
        for candidate in candidates:
            node = _property(candidate, "data") if candidate.type == "object" else candidate
            spread = candidate.type == "object" and any(
                child.type == "spread_element" for child in candidate.named_children
            )
            subjects = [node] if node is not None else []
            if spread:
                subjects += [child for child in candidate.named_children if child.type == "spread_element"]
            for subject in subjects:
                if subject is None or subject.type in ("object", "array"):
                    continue
                value = self._reaches(subject, "mass", state)
                if value is not None and value.structured:
                    self._report("mass-assignment", call)
                    return

    def _check_header(self, call: Node, name: str, arguments: list[Node], state: _Scope) -> None:
        if name == "writeHead":
            headers = next((argument for argument in arguments if argument.type == "object"), None)
            if headers is None:
                return
            location = _property(headers, "Location") or _property(headers, "location")
            if location is not None and self._reaches(location, "redirect", state) and _external_redirect(location):
                self._report("open-redirect", call)
            return
        if len(arguments) < 2:
            return
        header, value = _unquoted(arguments[0]).lower(), arguments[1]
        if header == "location":
            if self._reaches(value, "redirect", state) and _external_redirect(value):
                self._report("open-redirect", call)
        elif header == "access-control-allow-origin":
            if self.taint(value, state, 0) is not None and "allow-credentials" in text(self.root).lower():
                self._report("permissive-cors", call)
        elif self._reaches(value, "header", state):
            self._report("header-injection", call)

    def _check_log(self, call: Node, arguments: list[Node], state: _Scope) -> None:
        server = self.server or any(self._reaches(argument, "log", state) for argument in arguments)
        for argument in arguments:
            for identifier in _identifiers(argument) + _property_names(argument):
                if server and is_logged_secret_name(identifier) and not _NOT_SECRET.search(identifier):
                    self._report("secret-in-log", call)
                    return
        # A whole request object is printed through util.inspect, which escapes line breaks.
        logged = [argument for argument in arguments if not _WHOLE_REQUEST.match(text(argument))]
        if any(self._reaches(argument, "log", state) for argument in logged):
            self._report("log-injection", call)

    def _check_assignment(self, node: Node, left: Node | None, right: Node, value: Taint | None) -> None:
        if left is None:
            return
        target = text(left)
        if value is not None and value.web and target in ("ctx.body", "this.body") and value.reaches("xss"):
            echoed_object = _WHOLE_REQUEST.match(text(right)) is not None
            if _looks_like_html(right) or (right.type in ("member_expression", "identifier") and not echoed_object):
                self._report("xss-response", node)
        if target in ("location", "window.location", "location.href", "window.location.href", "document.location"):
            if value is not None and value.reaches("redirect") and _external_redirect(right):
                self._report("open-redirect", node)

    def _check_regex_literal(self, node: Node, state: _Scope) -> None:
        pattern = text(node.child_by_field_name("pattern"))
        if not _CATASTROPHIC.search(pattern):
            return
        parent = node.parent
        call = parent.parent if parent is not None and parent.type == "member_expression" else None
        if call is not None and call.type == "call_expression":
            if any(self._reaches(argument, "regex", state) for argument in _arguments(call)):
                self._report("regex-injection", call)


@dataclass(slots=True)
class _Scope:
    env: dict[str, Taint]
    guards: dict[str, frozenset[str]]
    function: _Function | None


def _source(node: Node) -> Taint | None:
    obj = node.child_by_field_name("object")
    prop = text(node.child_by_field_name("property"))
    owner = text(obj)
    if owner in _REQUEST_OBJECTS or owner.endswith(".request"):
        if prop in _STRUCTURED:
            # A query string only turns into objects through qs's brackets (`?a[$ne]=`): the "query" mark
            # lets a plain lookup by a query value pass where a login by one does not.
            return Taint(structured=True, cleaned=_QUERY_STRING if prop in ("query", "querystring") else frozenset())
        if prop in _TEXT:
            # Node's HTTP parser refuses CR and LF in the request line and in header values.
            return Taint(cleaned=_NO_LINE_BREAKS) if prop in _UNBROKEN else Taint()
    if owner == "process" and prop == "argv":
        return Taint(web=False)
    if _BROWSER.match(text(node)) and prop in ("search", "hash", "href", "URL", "referrer"):
        # The page's own URL, in the browser: it can redirect or write HTML, it reaches no server file.
        return Taint(cleaned=ALL - {"redirect", "xss", "code"})
    return None


_IDENTIFIERS = frozenset({"identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern"})


_PASSWORD_NAME = re.compile(r"password|passwd|pwd|contrase(?:n|ñ|ni)a|clave|senha|passwort", re.IGNORECASE)


def _holds_a_password(node: Node) -> bool:
    """`password`, `user.password`, `'password'` as a storage key: a password itself, not its hash."""
    names = [*_identifiers(node), *_property_names(node)]
    if node.type == "string":
        names.append(_unquoted(node))
    if re.search(r"hash|bcrypt|argon|encrypt|cifra", text(node), re.IGNORECASE):
        return False
    return any(_PASSWORD_NAME.search(name) and is_logged_secret_name(name) for name in names)


def _world_writable(mode: str) -> bool:
    """`0o777`, `0777`, `'666'`, `511`: a mode that lets every user of the machine write."""
    written = mode.strip("'\"`")
    try:
        if written.startswith(("0o", "0O")):
            value = int(written[2:], 8)
        elif mode != written or (written.startswith("0") and len(written) > 1):
            value = int(written, 8)
        else:
            value = int(written)
    except ValueError:
        return False
    return bool(value & 0o002)


def _identifiers(node: Node | None) -> list[str]:
    if node is None:
        return []
    found = [text(node)] if node.type in _IDENTIFIERS else []
    stack = list(node.named_children)
    while stack:
        current = stack.pop()
        if current.type in _IDENTIFIERS:
            found.append(text(current))
        if current.type not in _FUNCTIONS:
            stack.extend(current.named_children)
    return found


def _property_names(node: Node) -> list[str]:
    names = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "member_expression":
            names.append(text(current.child_by_field_name("property")))
        if current.type not in _FUNCTIONS:
            stack.extend(current.named_children)
    return names


def _property(obj: Node | None, key: str) -> Node | None:
    if obj is None or obj.type != "object":
        return None
    for child in obj.named_children:
        if child.type == "pair" and _unquoted(child.child_by_field_name("key")) == key:
            return child.child_by_field_name("value")
        if child.type == "shorthand_property_identifier" and text(child) == key:
            return child
    return None


def _names_a_secret_use(words: list[str]) -> bool:
    """The nearest name decides: `passwordLength` is a length, `token` inside `rollDice` a token."""
    for word in words:
        if not word:
            continue
        if _GAME_WORDS.search(word):
            return False
        if _SECRET_USE.search(word):
            return True
    return False


def insecure_random(root: Node) -> list[Hazard]:
    """`Math.random()` making a token, password, session id or reset code (a game's dice are fine)."""
    hazards: list[Hazard] = []
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type != "call_expression" or text(node.child_by_field_name("function")) != "Math.random":
            continue
        words: list[str] = []
        current = node.parent
        while current is not None:
            if current.type == "variable_declarator":
                words.append(text(current.child_by_field_name("name")))
            elif current.type in ("assignment_expression", "augmented_assignment_expression"):
                words.append(text(current.child_by_field_name("left")))
            elif current.type == "pair":
                words.append(_unquoted(current.child_by_field_name("key")))
            elif current.type in _FUNCTIONS or current.type == "function_declaration":
                name = current.child_by_field_name("name")
                if name is None and current.parent is not None and current.parent.type == "variable_declarator":
                    name = current.parent.child_by_field_name("name")
                if name is not None:
                    words.append(text(name))
                    break
            current = current.parent
        if _names_a_secret_use(words):
            hazards.append(("insecure-random", node.start_point.row + 1, node.end_point.row + 1))
    return hazards


_PASSWORD_IN_QUERY = re.compile(
    r"[?&](?:password|passwd|pwd|pass|contrase(?:n|ñ)a|clave|senha|passwort|mot_?de_?passe)=", re.IGNORECASE
)


def password_in_url(root: Node) -> list[Hazard]:
    """`?password=${password}` in a URL: it lands in server logs, proxies and browser history."""
    hazards: list[Hazard] = []
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type == "template_string":
            fragments = " ".join(text(child) for child in node.named_children if child.type == "string_fragment")
            built = any(child.type == "template_substitution" for child in node.named_children)
        elif node.type == "binary_expression" and (node.parent is None or node.parent.type != "binary_expression"):
            parts = _operands(node, frozenset({"+"}))
            fragments = " ".join(_unquoted(part) for part in parts if part.type == "string")
            built = any(part.type != "string" for part in parts)
        else:
            continue
        if built and _PASSWORD_IN_QUERY.search(fragments):
            hazards.append(("secret-in-url", node.start_point.row + 1, node.end_point.row + 1))
    return hazards


def script_taint_hazards(root: Node, imports: list[str]) -> list[Hazard]:
    return [*ScriptTaint(root, imports).run(), *insecure_random(root), *password_in_url(root)]
