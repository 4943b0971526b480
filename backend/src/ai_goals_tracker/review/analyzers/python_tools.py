"""radon and bandit, used as libraries (they run inside the sandbox, where imports stay warm)."""

from __future__ import annotations

import logging
import tempfile
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
    # Imported where used: only the sandbox helpers run these, so the parent never pays for the imports.
    from radon.complexity import cc_visit
    from radon.metrics import mi_visit

    blocks = cc_visit(code)
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
    return RadonReport(functions=functions, maintainability_index=float(mi_visit(code, multi=True)))


def bandit_issues(code: str) -> list[BanditIssue]:
    from bandit.core import config, manager

    # bandit logs every skipped file and plugin at WARNING; the review reports through findings instead.
    logging.getLogger("bandit").setLevel(logging.CRITICAL)
    # bandit's public entry point scans files, so the snippet goes to a private temporary one.
    with tempfile.TemporaryDirectory(prefix="aigt-bandit-") as folder:
        path = Path(folder) / "submission.py"
        path.write_text(code, encoding="utf-8")
        scan = manager.BanditManager(config.BanditConfig(), "file", quiet=True)
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
