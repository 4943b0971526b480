"""The tests a goal's pytest module defines, read from its source: known before any code runs.

A run is judged against this list, so a test the report leaves out (never collected, lost when the
learner's process ended, hidden by anything the learner did) counts as not passed. Collected the way
pytest collects by default: module-level `test*` functions, `test*` methods of `Test*` classes without
`__init__`, and `test*` methods of `unittest.TestCase` subclasses. A parametrised test is one entry
(each of its cases must pass). A module that cannot be parsed defines nothing.
"""

from __future__ import annotations

import ast


def pytest_expected_tests(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef) and _is_test_class(node):
            names += [
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test")
            ]
    return list(dict.fromkeys(names))


def _is_test_class(node: ast.ClassDef) -> bool:
    if any(_base_name(base).endswith("TestCase") for base in node.bases):
        return True
    has_init = any(isinstance(item, ast.FunctionDef) and item.name == "__init__" for item in node.body)
    return node.name.startswith("Test") and not has_init


def _base_name(base: ast.expr) -> str:
    if isinstance(base, ast.Attribute):
        return base.attr
    if isinstance(base, ast.Name):
        return base.id
    return ""
