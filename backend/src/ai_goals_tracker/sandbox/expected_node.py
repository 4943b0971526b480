"""The tests a node:test module declares, read from its source before any learner code runs.

Names are the reporter's (`node_reporter.mjs`): a test inside `describe('A', …)` is "A > name", a
subtest `t.test('c', …)` of test "b" is "b > c" (and "b" is a test of its own). Only a module whose
structure is plain is read: every `test`/`it`/`describe`/`suite` call (with `.skip`, `.only`, `.todo`)
is a statement of the module, of a suite's callback or of a test's callback, and names a literal.
Anything else (a test made in a loop, in a helper, a computed name) gives None: the run's own list
of tests is then what counts.
"""

from __future__ import annotations

import re
from typing import Any

from tree_sitter import Node

_TESTS = frozenset({"test", "it"})
_SUITES = frozenset({"describe", "suite"})
_MODIFIERS = frozenset({"skip", "only", "todo"})
_FUNCTIONS = frozenset({"arrow_function", "function_expression", "function"})
_MAX_DEPTH = 200
# node:test bound to other names (`const t = require('node:test')`, `{ test: check }`, `import t from`):
# the declarations are then not read here.
_RENAMED = re.compile(
    r"""(?:(?:const|let|var)\s+(?!test\b)[\w$]+\s*=\s*require\(\s*['"](?:node:)?test['"]\s*\))"""
    r"""|(?:\{[^}]*\b(?:test|it|describe|suite)\s*:[^}]*\}\s*=\s*require\(\s*['"](?:node:)?test['"])"""
    r"""|(?:import\s+(?!test\b)[\w$]+\s*(?:,|from)[^;]*['"](?:node:)?test['"])"""
    r"""|(?:import\s*\{[^}]*\bas\b[^}]*\}\s*from\s*['"](?:node:)?test['"])"""
    r"""|(?:import\s*\*\s*as)"""
)


class _NotPlain(Exception):
    pass


def _javascript_parser() -> Any:
    """tree-sitter's JavaScript grammar (a dependency of the review too), or None where it is missing."""
    try:
        import tree_sitter_javascript
        from tree_sitter import Language, Parser
    except ImportError:
        return None
    return Parser(Language(tree_sitter_javascript.language()))


def node_expected_tests(code: str) -> list[str] | None:
    """Full names of the tests `code` declares, in source order, or None when they cannot be read statically."""
    if _RENAMED.search(code):
        return None
    parser = _javascript_parser()
    if parser is None:
        return None
    tree = parser.parse(code.encode("utf-8"))
    if tree.root_node.has_error:
        return None
    names: list[str] = []
    accounted: set[int] = set()
    try:
        _statements(tree.root_node, [], None, names, accounted, 0)
    except _NotPlain:
        return None
    if any(call.id not in accounted for call in _test_calls(tree.root_node)):
        return None
    # None found may mean declarations made some other way: the run's own report decides then.
    return names or None


def _kind(call: Node, context: str | None) -> str | None:
    """ "test" or "suite" for a call that declares one, else None."""
    callee = call.child_by_field_name("function")
    if callee is None:
        return None
    if callee.type == "member_expression":
        target = callee.child_by_field_name("object")
        member = callee.child_by_field_name("property")
        if target is None or member is None:
            return None
        name = _text(member)
        if context is not None and target.type == "identifier" and _text(target) == context and name == "test":
            return "test"
        if target.type == "identifier" and name in _MODIFIERS:
            callee = target
        else:
            return None
    if callee.type != "identifier":
        return None
    name = _text(callee)
    if name in _TESTS:
        return "test"
    if name in _SUITES:
        return "suite"
    return None


def _test_calls(root: Node) -> list[Node]:
    """Every call that looks like a test or suite declaration, wherever it is (subtests by any name)."""
    calls: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "call_expression":
            calls.append(node)
        stack.extend(node.children)
    contexts: set[str] = set()
    for _ in range(3):  # test callbacks' first parameters, and those of their subtests' callbacks
        for call in calls:
            if _kind(call, None) == "test" or _subtest_of(call, contexts):
                arguments = call.child_by_field_name("arguments")
                for value in arguments.named_children if arguments is not None else []:
                    parameter = _first_parameter(value) if value.type in _FUNCTIONS else None
                    if parameter:
                        contexts.add(parameter)
    return [call for call in calls if _kind(call, None) is not None or _subtest_of(call, contexts)]


def _subtest_of(call: Node, contexts: set[str]) -> bool:
    callee = call.child_by_field_name("function")
    return (
        callee is not None
        and callee.type == "member_expression"
        and _text(callee.child_by_field_name("property")) == "test"
        and _text(callee.child_by_field_name("object")) in contexts
    )


def _statements(
    block: Node, path: list[str], context: str | None, names: list[str], accounted: set[int], depth: int
) -> None:
    if depth > _MAX_DEPTH:
        raise _NotPlain
    for statement in block.named_children:
        if statement.type != "expression_statement" or not statement.named_children:
            continue
        expression = statement.named_children[0]
        if expression.type == "await_expression" and expression.named_children:
            expression = expression.named_children[0]
        if expression.type != "call_expression":
            continue
        kind = _kind(expression, context)
        if kind is None:
            continue
        accounted.add(expression.id)
        arguments = expression.child_by_field_name("arguments")
        values = arguments.named_children if arguments is not None else []
        if not values:
            raise _NotPlain
        name = _literal(values[0])
        full = [*path, name]
        if kind == "test":
            names.append(" > ".join(full))
        body = next((value for value in values[1:] if value.type in _FUNCTIONS), None)
        if body is None:
            continue
        inner = body.child_by_field_name("body")
        if inner is None or inner.type != "statement_block":
            continue
        _statements(inner, full, _first_parameter(body) if kind == "test" else None, names, accounted, depth + 1)


def _first_parameter(function: Node) -> str | None:
    single = function.child_by_field_name("parameter")
    if single is not None and single.type == "identifier":
        return _text(single)
    parameters = function.child_by_field_name("parameters")
    if parameters is None or not parameters.named_children:
        return None
    first = parameters.named_children[0]
    return _text(first) if first.type == "identifier" else None


def _literal(node: Node) -> str:
    if node.type not in ("string", "template_string"):
        raise _NotPlain
    parts = node.named_children
    if any(part.type != "string_fragment" for part in parts):
        raise _NotPlain  # escapes and substitutions: not read here
    return "".join(_text(part) for part in parts)


def _text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8")
