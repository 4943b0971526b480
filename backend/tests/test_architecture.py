"""The import graph of `ai_goals_tracker` keeps the layers of docs/architecture.md.

No two packages (or top-level modules) import each other, directly or around a circle, and no
two modules do, except the ORM classes in `models/` (relationships name each other). The event
log (`events/`) and the review library (`review/`) import only the layers below them.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

import ai_goals_tracker

PACKAGE = "ai_goals_tracker"
ROOT = Path(ai_goals_tracker.__file__).parent

# What the low layers may import besides themselves.
BELOW: dict[str, frozenset[str]] = {
    "events": frozenset({"config", "errors", "i18n", "db", "models", "schemas"}),
    "review": frozenset({"config", "errors", "i18n", "schemas", "criteria", "ai", "sandbox"}),
}
# Imports that go upwards for a reason given here, each one named exactly.
EXCEPTIONS: dict[tuple[str, str], str] = {}

Graph = Mapping[str, set[str]]


def module_names() -> dict[str, Path]:
    names = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imports_of(path: Path, modules: Iterable[str]) -> set[str]:
    """The package's modules that `path` imports anywhere (also inside functions)."""
    known = set(modules)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.add(name if name in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found & known


def module_graph() -> dict[str, set[str]]:
    modules = module_names()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {target for target in imports_of(path, modules) if target != name}
        graph[name] -= {target for (source, target) in EXCEPTIONS if source == name}
    return graph


def unit(module: str) -> str:
    """The package or top-level module a module belongs to: `tasks` for `ai_goals_tracker.tasks.service`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def unit_graph(modules: Graph) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for source, targets in modules.items():
        graph[unit(source)].update(unit(target) for target in targets if unit(target) != unit(source))
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_around_a_circle_outside_models() -> None:
    outside = [c for c in cycles(module_graph()) if not all(m.startswith(f"{PACKAGE}.models") for m in c)]
    assert outside == []


def test_no_two_packages_import_each_other() -> None:
    assert cycles(unit_graph(module_graph())) == []


def upward_imports(graph: Graph, layer: str) -> set[str]:
    return {
        f"{source} -> {target}"
        for source, targets in graph.items()
        if unit(source) == layer
        for target in targets
        if unit(target) not in BELOW[layer] | {layer}
    }


@pytest.mark.parametrize("layer", sorted(BELOW))
def test_low_layers_import_only_what_is_below_them(layer: str) -> None:
    assert upward_imports(module_graph(), layer) == set()


def test_the_checks_find_a_circle_and_an_upward_import() -> None:
    """The checks above can fail: a circle and an upward import are found when present."""
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a.w": set()}
    assert cycles(graph) == [["a.x", "a.y", "a.z"]]
    crossed = {"p.auth.deps": {"p.users.service"}, "p.users.service": {"p.auth.security"}}
    assert cycles(unit_graph(crossed)) == [["auth", "users"]]
    assert upward_imports({"p.review.criteria": {"p.goals.schemas", "p.ai.llm"}}, "review") == {
        "p.review.criteria -> p.goals.schemas"
    }
