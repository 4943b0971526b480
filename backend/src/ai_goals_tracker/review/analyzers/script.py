"""JavaScript and TypeScript structure and security hazards with tree-sitter (in the review's helper process).

The hazard rules are the project's own tree-sitter patterns (docs/code-review.md lists them): code run
from strings, HTML sinks fed with data, shell commands and SQL built from strings, TLS checks turned
off, JWTs read without verification, fast password hashes and file paths from request input.

Walks are iterative: a deeply nested expression must not exhaust Python's recursion limit.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tree_sitter import Language, Node, Parser

from ai_goals_tracker.review.analyzers.facts import CodeFacts, Definition, FunctionShape, SyntaxProblem
from ai_goals_tracker.review.analyzers.script_taint import script_taint_hazards

MAX_SYNTAX_PROBLEMS = 5

_FUNCTIONS = frozenset(
    {
        "function_declaration",
        "function_expression",
        "function",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
        "generator_function",
    }
)
_NESTING = frozenset(
    {
        "if_statement",
        "for_statement",
        "for_in_statement",
        "while_statement",
        "do_statement",
        "switch_statement",
        "try_statement",
    }
)
_DECISIONS = frozenset(
    {
        "if_statement",
        "for_statement",
        "for_in_statement",
        "while_statement",
        "do_statement",
        "switch_case",
        "catch_clause",
        "ternary_expression",
    }
)
_SHORT_CIRCUIT = frozenset({"&&", "||", "??"})
_DECLARATIONS = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "method_definition": "function",
    "class_declaration": "class",
    "abstract_class_declaration": "class",
    "interface_declaration": "class",
    "type_alias_declaration": "class",
    "variable_declarator": "variable",
}
_HTML_SINKS = frozenset({"innerHTML", "outerHTML"})
_DOCUMENT_WRITERS = frozenset({"write", "writeln"})
_SHELL_RUNNERS = frozenset({"exec", "execSync"})
_FILE_SINKS = frozenset(
    {"readFile", "readFileSync", "createReadStream", "sendFile", "download", "unlink", "unlinkSync", "writeFile"}
)
_FAST_DIGESTS = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512"})
_SQL = re.compile(r"\b(?:select\s.+\sfrom|insert\s+into|update\s.+\sset|delete\s+from)\b", re.IGNORECASE | re.DOTALL)
_PASSWORD_WORDS = re.compile(r"pass(?:word|wd)?|pwd|contrase(?:n|ñ|ni)a|clave|senha", re.IGNORECASE)
_REQUEST_INPUT = re.compile(r"\breq(?:uest)?\.(?:params|query|body)\b")
_INPUT_VARIABLE = re.compile(r"(?:const|let|var)\s+(\w+)\s*=\s*req(?:uest)?\.(?:params|query|body)\b")
_INPUT_DESTRUCTURED = re.compile(r"(?:const|let|var)\s*\{([^}]{1,200})\}\s*=\s*req(?:uest)?\.(?:params|query|body)\b")

# Grammar wheels ship compiled parsers; tree-sitter-language-pack >= 1.0 downloads them on first use,
# which fails offline, so it is only the fallback.
_GRAMMAR_WHEELS = {
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
}


class GrammarUnavailable(Exception):
    pass


@cache
def parser_for(language: str) -> Parser:
    module_name, function_name = _GRAMMAR_WHEELS[language]
    try:
        module: Any = importlib.import_module(module_name)
        return Parser(Language(getattr(module, function_name)()))
    except ImportError:
        pass
    try:
        pack: Any = importlib.import_module("tree_sitter_language_pack")
        parser: Parser = pack.get_parser(language)
    except Exception as exc:
        raise GrammarUnavailable(f"no tree-sitter grammar for {language}: {exc}") from exc
    return parser


@dataclass(slots=True)
class _Function:
    name: str
    node: Node
    complexity: int = 1
    max_nesting: int = 0


@dataclass(frozen=True, slots=True)
class _FileContext:
    """What the hazard rules need to know about the whole file."""

    runs_shell: bool
    verifies_jwt: bool
    checks_paths: bool
    inputs: frozenset[str]

    @classmethod
    def of(cls, code: str) -> _FileContext:
        inputs = set(_INPUT_VARIABLE.findall(code))
        for names in _INPUT_DESTRUCTURED.findall(code):
            inputs.update(name.split(":")[-1].strip() for name in names.split(",") if name.strip())
        return cls(
            runs_shell="child_process" in code,
            verifies_jwt=".verify(" in code,
            checks_paths="basename(" in code or ".startsWith(" in code,
            inputs=frozenset(name for name in inputs if name.isidentifier()),
        )


@dataclass(slots=True)
class _Walk:
    context: _FileContext
    facts: CodeFacts = field(default_factory=CodeFacts)
    functions: list[_Function] = field(default_factory=list)


def script_facts(code: str, language: str) -> CodeFacts:
    tree = parser_for(language).parse(code.encode("utf-8"))
    walk = _Walk(_FileContext.of(code))
    # Each entry: the node, the index of the enclosing function (-1 at top level), its nesting depth.
    stack: list[tuple[Node, int, int]] = [(tree.root_node, -1, 0)]
    while stack:
        node, owner, depth = stack.pop()
        if _record_syntax_problem(node, walk.facts):
            continue
        owner, depth = _visit(node, owner, depth, walk)
        stack.extend((child, owner, depth) for child in reversed(node.children))
    walk.facts.functions = [_shape(function) for function in walk.functions]
    if walk.facts.parsed:
        # Request input followed through the file to where it must not go (script_taint).
        modules = [module for module, _ in walk.facts.imports]
        walk.facts.hazards += script_taint_hazards(tree.root_node, modules)
    return walk.facts


def _record_syntax_problem(node: Node, facts: CodeFacts) -> bool:
    if node.type != "ERROR" and not node.is_missing:
        return False
    if len(facts.syntax_problems) < MAX_SYNTAX_PROBLEMS:
        line = node.start_point.row + 1
        if node.is_missing:
            message = f"missing `{node.type}`"
        else:
            snippet = _text(node).strip().splitlines()[0][:40] if _text(node).strip() else ""
            message = f"unexpected `{snippet}`" if snippet else "unexpected token"
        facts.syntax_problems.append(SyntaxProblem(line, node.end_point.row + 1, message))
    return True


def _visit(node: Node, owner: int, depth: int, walk: _Walk) -> tuple[int, int]:
    """Record what `node` tells; return the (function, depth) its children belong to."""
    _record_definition(node, walk.facts)
    _record_import(node, walk.facts)
    _record_hazard(node, walk)
    # `function` is also the name of the anonymous keyword token; only named nodes are functions.
    if node.is_named and node.type in _FUNCTIONS:
        walk.functions.append(_Function(_function_name(node), node))
        return len(walk.functions) - 1, 0
    if owner >= 0:
        function = walk.functions[owner]
        if node.type in _DECISIONS or _is_short_circuit(node):
            function.complexity += 1
        if node.type in _NESTING and not _is_else_if(node):
            depth += 1
            function.max_nesting = max(function.max_nesting, depth)
    return owner, depth


def _is_short_circuit(node: Node) -> bool:
    operator = node.child_by_field_name("operator")
    return node.type == "binary_expression" and operator is not None and operator.type in _SHORT_CIRCUIT


def _is_else_if(node: Node) -> bool:
    parent = node.parent
    return node.type == "if_statement" and parent is not None and parent.type == "else_clause"


def _record_definition(node: Node, facts: CodeFacts) -> None:
    kind = _DECLARATIONS.get(node.type)
    name = node.child_by_field_name("name")
    if kind is None or name is None or name.type not in ("identifier", "property_identifier", "type_identifier"):
        return
    value = node.child_by_field_name("value")
    if kind == "variable" and value is not None and value.is_named and value.type in _FUNCTIONS | {"class"}:
        kind = "class" if value.type == "class" else "function"
    facts.definitions.append(Definition(_text(name), kind, node.start_point.row + 1))


def _record_import(node: Node, facts: CodeFacts) -> None:
    line = node.start_point.row + 1
    if node.type == "import_statement":
        source = node.child_by_field_name("source")
        if source is not None:
            facts.imports.append((_unquote(source), line))
    elif node.type == "call_expression":
        callee = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        is_loader = callee is not None and (callee.type == "import" or _text(callee) == "require")
        if is_loader and arguments is not None and arguments.named_children:
            first = arguments.named_children[0]
            if first.type == "string":
                facts.imports.append((_unquote(first), line))


def _record_hazard(node: Node, walk: _Walk) -> None:
    rule = _hazard_rule(node, walk.context)
    if rule is not None:
        walk.facts.hazards.append((rule, node.start_point.row + 1, node.end_point.row + 1))


def _hazard_rule(node: Node, context: _FileContext) -> str | None:
    if node.type == "call_expression":
        return _call_hazard(node, context)
    if node.type == "new_expression":
        constructor = node.child_by_field_name("constructor")
        return "js-new-function" if constructor is not None and _text(constructor) == "Function" else None
    if node.type in ("assignment_expression", "augmented_assignment_expression"):
        return _assignment_hazard(node)
    if node.type == "pair":
        return _option_hazard(node)
    if node.type == "jsx_attribute":
        return _jsx_hazard(node)
    if node.type in ("template_string", "binary_expression"):
        return _built_sql(node)
    return None


def _call_hazard(node: Node, context: _FileContext) -> str | None:
    callee = node.child_by_field_name("function")
    arguments = node.child_by_field_name("arguments")
    if callee is None:
        return None
    name = _text(callee.child_by_field_name("property") or callee) if callee.type == "member_expression" else ""
    name = name or (_text(callee) if callee.type == "identifier" else "")
    owner = callee.child_by_field_name("object") if callee.type == "member_expression" else None
    first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
    if name == "eval" and callee.type == "identifier":
        return "js-eval"
    if name == "unserialize":
        return "insecure-deserialization-js"
    if owner is not None and _text(owner) == "document" and name in _DOCUMENT_WRITERS:
        return "js-document-write" if first is not None and not _is_constant(first) else None
    if name == "insertAdjacentHTML" and arguments is not None and len(arguments.named_children) > 1:
        return None if _is_constant(arguments.named_children[1]) else "js-inner-html"
    if name in _SHELL_RUNNERS and context.runs_shell and first is not None and _is_built_string(first):
        return "shell-injection-js"
    if name == "decode" and owner is not None and _text(owner) == "jwt" and not context.verifies_jwt:
        return "jwt-no-verify"
    if name == "update" and owner is not None and _is_fast_digest(owner) and first is not None:
        return "weak-password-hash" if _PASSWORD_WORDS.search(_text(first)) else None
    return None


def _assignment_hazard(node: Node) -> str | None:
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    if left is None or right is None or left.type != "member_expression":
        return None
    prop = left.child_by_field_name("property")
    target = _text(prop) if prop is not None else ""
    if target in _HTML_SINKS:
        return None if _is_constant(right) else "js-inner-html"
    if target == "NODE_TLS_REJECT_UNAUTHORIZED" and _text(right).strip("'\"`") == "0":
        return "tls-verify-off-js"
    return None


def _option_hazard(node: Node) -> str | None:
    key = node.child_by_field_name("key")
    value = node.child_by_field_name("value")
    if key is None or value is None:
        return None
    name = _text(key).strip("'\"")
    if name == "rejectUnauthorized" and _text(value) == "false":
        return "tls-verify-off-js"
    if name == "algorithms" and "none" in _text(value).lower().replace(" ", "").split("'"):
        return "jwt-no-verify"
    return None


def _jsx_hazard(node: Node) -> str | None:
    children = node.named_children
    if not children or _text(children[0]) != "dangerouslySetInnerHTML":
        return None
    # `{{__html: value}}`: only a literal value is safe.
    html_values = [
        pair.child_by_field_name("value")
        for pair in _descendants(node, "pair")
        if _text(pair.child_by_field_name("key") or pair).strip("'\"") == "__html"
    ]
    constant = bool(html_values) and all(value is not None and _is_constant(value) for value in html_values)
    return None if constant else "react-dangerously-set-inner-html"


def _built_sql(node: Node) -> str | None:
    """A query written as a template with `${}` or glued with `+`: the outermost piece only."""
    parent = node.parent
    if node.type == "binary_expression":
        operator = node.child_by_field_name("operator")
        if operator is None or operator.type != "+" or (parent is not None and parent.type == "binary_expression"):
            return None
    if not _is_built_string(node) or not _SQL.search(_text(node)):
        return None
    # `SELECT * FROM ${TABLE}`: only the program's own constants are written into the query.
    return "sql-from-constants" if _only_constants(node) else "sql-injection-js"


_CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _only_constants(node: Node) -> bool:
    if node.type == "template_string":
        pieces = [child.named_children[0] for child in node.named_children if child.type == "template_substitution"]
    else:
        pieces = [part for part in _concatenated(node) if part.type not in ("string", "template_string")]
    return bool(pieces) and all(
        piece.type == "number" or _CONSTANT_NAME.match(_text(piece)) is not None for piece in pieces if piece
    )


def _is_built_string(node: Node) -> bool:
    """A template with a substitution, or a `+` joining a string with something that is not a literal."""
    if node.type == "template_string":
        return any(child.type == "template_substitution" for child in node.named_children)
    if node.type == "binary_expression":
        parts = _concatenated(node)
        return any(part.type in ("string", "template_string") for part in parts) and not all(
            _is_constant(part) for part in parts
        )
    return False


def _concatenated(node: Node) -> list[Node]:
    parts: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        operator = current.child_by_field_name("operator")
        if current.type == "binary_expression" and operator is not None and operator.type == "+":
            stack.extend(
                child for child in (current.child_by_field_name("right"), current.child_by_field_name("left")) if child
            )
        else:
            parts.append(current)
    return parts


def _is_constant(node: Node) -> bool:
    if node.type == "string":
        return True
    if node.type == "template_string":
        return not any(child.type == "template_substitution" for child in node.named_children)
    if node.type == "parenthesized_expression" and node.named_children:
        return _is_constant(node.named_children[0])
    return False


def _is_fast_digest(node: Node) -> bool:
    """`crypto.createHash('sha256')` (the receiver of `.update(...)`)."""
    if node.type != "call_expression":
        return False
    callee = node.child_by_field_name("function")
    arguments = node.child_by_field_name("arguments")
    if callee is None or arguments is None or not _text(callee).endswith("createHash"):
        return False
    algorithm = arguments.named_children[0] if arguments.named_children else None
    return algorithm is not None and _text(algorithm).strip("'\"`").lower() in _FAST_DIGESTS


def _from_request(node: Node, context: _FileContext) -> bool:
    text = _text(node)
    if _REQUEST_INPUT.search(text):
        return True
    return any(identifier in context.inputs for identifier in _identifiers(node))


def _identifiers(node: Node) -> list[str]:
    return [_text(child) for child in _descendants(node, "identifier")] + (
        [_text(node)] if node.type == "identifier" else []
    )


def _descendants(node: Node, node_type: str) -> list[Node]:
    found: list[Node] = []
    stack = list(node.named_children)
    while stack:
        current = stack.pop()
        if current.type == node_type:
            found.append(current)
        stack.extend(current.named_children)
    return found


def _function_name(node: Node) -> str:
    name = node.child_by_field_name("name")
    if name is not None:
        return _text(name)
    parent = node.parent
    if parent is not None and parent.type in ("variable_declarator", "pair", "assignment_expression"):
        target = parent.child_by_field_name("name") or parent.child_by_field_name("key")
        target = target or parent.child_by_field_name("left")
        if target is not None:
            return _text(target)
    return "<anonymous>"


def _shape(function: _Function) -> FunctionShape:
    return FunctionShape(
        name=function.name,
        start_line=function.node.start_point.row + 1,
        end_line=function.node.end_point.row + 1,
        max_nesting=function.max_nesting,
        complexity=function.complexity,
    )


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", errors="replace")


def _unquote(string_node: Node) -> str:
    return _text(string_node).strip("'\"`")
