"""Python syntax and structure with the standard library's `ast` (runs in the review's helper process).

Walks are iterative: a deeply nested expression must not exhaust Python's recursion limit.
"""

from __future__ import annotations

import ast

from ai_goals_tracker.review.analyzers.facts import CodeFacts, Definition, FunctionShape, SyntaxProblem
from ai_goals_tracker.review.analyzers.python_rules import python_hazards

_NESTING_NODES = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.Match)
_FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)
TOO_DEEP = "too deeply nested for Python to compile"


def python_facts(code: str) -> CodeFacts:
    try:
        tree = ast.parse(code)
        # Some errors (`return` outside a function, misplaced `nonlocal`) only surface when compiling.
        compile(tree, "<submission>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        line = exc.lineno or 1
        problem = SyntaxProblem(line=line, end_line=exc.end_lineno or line, message=exc.msg)
        return CodeFacts(syntax_problems=[problem])
    except (RecursionError, MemoryError):
        # CPython itself cannot compile it, so the program cannot run either.
        return CodeFacts(syntax_problems=[SyntaxProblem(line=1, end_line=1, message=TOO_DEEP)])
    return CodeFacts(
        definitions=_definitions(tree),
        imports=_imports(tree),
        functions=[_shape(node) for node in ast.walk(tree) if isinstance(node, _FUNCTION_NODES)],
        hazards=python_hazards(tree),
    )


def _definitions(tree: ast.Module) -> list[Definition]:
    found: list[Definition] = []
    for node in ast.walk(tree):
        if isinstance(node, _FUNCTION_NODES):
            found.append(Definition(node.name, "function", node.lineno))
        elif isinstance(node, ast.ClassDef):
            found.append(Definition(node.name, "class", node.lineno))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found.extend(
                Definition(target.id, "variable", node.lineno) for target in targets if isinstance(target, ast.Name)
            )
    return found


def _imports(tree: ast.Module) -> list[tuple[str, int]]:
    modules: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.append((node.module, node.lineno))
    return modules


def _shape(function: ast.FunctionDef | ast.AsyncFunctionDef) -> FunctionShape:
    return FunctionShape(
        name=function.name,
        start_line=function.lineno,
        end_line=function.end_lineno or function.lineno,
        max_nesting=_max_nesting(function),
    )


def _max_nesting(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(child, 0) for child in function.body]
    while stack:
        node, depth = stack.pop()
        # Nested functions start their own count: their blocks are judged on their own shape.
        if isinstance(node, (*_FUNCTION_NODES, ast.ClassDef)):
            continue
        here = depth + 1 if isinstance(node, _NESTING_NODES) else depth
        deepest = max(deepest, here)
        for child in ast.iter_child_nodes(node):
            # An `elif` is an `if` inside the `else` of the previous one; it reads as a sibling, not a level.
            is_elif = isinstance(node, ast.If) and node.orelse == [child] and isinstance(child, ast.If)
            stack.append((child, depth if is_elif else here))
    return deepest
