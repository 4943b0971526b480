"""Structural facts an analyzer extracts, shared by the criteria checks and the shape findings."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    kind: str  # "function", "class" or "variable"
    line: int


@dataclass(frozen=True, slots=True)
class FunctionShape:
    name: str
    start_line: int
    end_line: int
    max_nesting: int
    complexity: int | None = None

    @property
    def length(self) -> int:
        return self.end_line - self.start_line + 1


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    line: int
    end_line: int
    message: str


@dataclass(slots=True)
class CodeFacts:
    """What a parser saw: either syntax problems, or definitions, imports and function shapes."""

    syntax_problems: list[SyntaxProblem] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    imports: list[tuple[str, int]] = field(default_factory=list)
    functions: list[FunctionShape] = field(default_factory=list)
    hazards: list[tuple[str, int, int]] = field(default_factory=list)  # (rule, start_line, end_line)

    @property
    def parsed(self) -> bool:
        return not self.syntax_problems
