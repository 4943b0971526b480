"""radon and bandit, used as libraries (inside the review's helper process, where imports stay warm)."""

from __future__ import annotations

import ast
import io
import logging
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class FunctionComplexity:
    name: str
    complexity: int
    start_line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class RadonReport:
    functions: list[FunctionComplexity]
    maintainability_index: float


@dataclass(frozen=True, slots=True)
class BanditIssue:
    test_id: str
    severity: str
    confidence: str
    line: int
    end_line: int
    message: str


def radon_report(code: str) -> RadonReport:
    # Imported where used: only the review's helper processes run these.
    from radon.complexity import cc_visit_ast
    from radon.metrics import h_visit_ast, mi_compute

    tree = ast.parse(code)
    blocks = cc_visit_ast(tree)
    functions = [
        FunctionComplexity(
            name=str(block.fullname),
            complexity=int(block.complexity),
            start_line=int(block.lineno),
            end_line=int(block.endline),
        )
        for block in blocks
        if block.letter in ("F", "M")
    ]
    logical_lines, comment_share = _line_counts(code)
    # radon's own `mi_visit` counts lines with `radon.raw`, which takes minutes on one large literal;
    # the same parameters from the tokenizer take one pass.
    maintainability = mi_compute(
        h_visit_ast(tree).total.volume, sum(int(block.complexity) for block in blocks), logical_lines, comment_share
    )
    return RadonReport(functions=functions, maintainability_index=float(maintainability))


def _line_counts(code: str) -> tuple[int, float]:
    """Logical lines, and the percentage of source lines that are comments or docstrings."""
    logical = comment_lines = 0
    starts_statement = True
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.NEWLINE:
            logical += 1
            starts_statement = True
        elif token.type == tokenize.COMMENT:
            comment_lines += 1
        elif token.type == tokenize.STRING and starts_statement:
            comment_lines += token.end[0] - token.start[0] + 1
            starts_statement = False
        elif token.type not in (tokenize.NL, tokenize.INDENT, tokenize.DEDENT):
            starts_statement = False
    source_lines = sum(1 for line in code.splitlines() if line.strip())
    return logical, (comment_lines / source_lines * 100 if source_lines else 0.0)


def bandit_issues(code: str) -> list[BanditIssue]:
    from bandit.core import config, manager

    # bandit logs every skipped file and plugin at WARNING; the review reports through findings instead.
    logging.getLogger("bandit").setLevel(logging.CRITICAL)
    # bandit's public entry point scans files, so the snippet goes to a private temporary one.
    with tempfile.TemporaryDirectory(prefix="aigt-bandit-") as folder:
        path = Path(folder) / "submission.py"
        path.write_text(code, encoding="utf-8")
        # ignore_nosec: a `# nosec` in the submission must not hide a finding.
        scan = manager.BanditManager(config.BanditConfig(), "file", quiet=True, ignore_nosec=True)
        scan.discover_files([str(path)])
        scan.run_tests()
        return [
            BanditIssue(
                test_id=str(issue.test_id),
                severity=str(issue.severity),
                confidence=str(issue.confidence),
                line=int(issue.lineno),
                end_line=int(max(issue.linerange or [issue.lineno])),
                message=str(issue.text),
            )
            for issue in scan.get_issue_list()
        ]
