"""JavaScript and TypeScript structure with tree-sitter (runs inside the sandbox).

Walks are iterative: a deeply nested expression must not exhaust Python's recursion limit.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tree_sitter import Language, Node, Parser

from ai_goals_tracker.review.analyzers.facts import CodeFacts, Definition, FunctionShape, SyntaxProblem

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


@dataclass(slots=True)
class _Walk:
    facts: CodeFacts = field(default_factory=CodeFacts)
    functions: list[_Function] = field(default_factory=list)


def script_facts(code: str, language: str) -> CodeFacts:
    tree = parser_for(language).parse(code.encode("utf-8"))
    walk = _Walk()
    # Each entry: the node, the index of the enclosing function (-1 at top level), its nesting depth.
    stack: list[tuple[Node, int, int]] = [(tree.root_node, -1, 0)]
    while stack:
        node, owner, depth = stack.pop()
        if _record_syntax_problem(node, walk.facts):
            continue
        owner, depth = _visit(node, owner, depth, walk)
        stack.extend((child, owner, depth) for child in reversed(node.children))
    walk.facts.functions = [_shape(function) for function in walk.functions]
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
    _record_hazard(node, walk.facts)
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


def _record_hazard(node: Node, facts: CodeFacts) -> None:
    rule = _hazard_rule(node)
    if rule is not None:
        facts.hazards.append((rule, node.start_point.row + 1, node.end_point.row + 1))


def _hazard_rule(node: Node) -> str | None:
    if node.type == "call_expression":
        callee = node.child_by_field_name("function")
        if callee is not None and callee.type == "identifier" and _text(callee) == "eval":
            return "js-eval"
        if callee is not None and callee.type == "member_expression":
            target = callee.child_by_field_name("object")
            prop = callee.child_by_field_name("property")
            if target is not None and prop is not None and _text(target) == "document":
                return "js-document-write" if _text(prop) in _DOCUMENT_WRITERS else None
    if node.type == "new_expression":
        constructor = node.child_by_field_name("constructor")
        if constructor is not None and _text(constructor) == "Function":
            return "js-new-function"
    if node.type in ("assignment_expression", "augmented_assignment_expression"):
        left = node.child_by_field_name("left")
        prop = left.child_by_field_name("property") if left is not None else None
        if left is not None and left.type == "member_expression" and prop is not None:
            return "js-inner-html" if _text(prop) in _HTML_SINKS else None
    return None


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
