"""Normalize every analyzer's output into `Finding`s, calibrated, localized, and merged.

Severity and blocking come from the rule catalogue (`rule_catalog.json`, one entry per rule that can
fire), then the context adjusts them: a test file is where `assert` and fixture passwords belong, a
rule its own analyzer reports with low confidence only informs, and a shell call ruff itself calls
"seems safe" (a literal command) is not injection. Analyzers that report the same defect (ruff's S
rules and bandit, a fast hash of a password and the weak-hash rule) are merged into one finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from radon.complexity import cc_rank

from ai_goals_tracker.review.analyzers.facts import FunctionShape, SyntaxProblem
from ai_goals_tracker.review.analyzers.python_tools import BanditIssue
from ai_goals_tracker.review.analyzers.ruff_runner import RuffIssue
from ai_goals_tracker.review.analyzers.secrets import SecretHit
from ai_goals_tracker.review.i18n import syntax_detail, text
from ai_goals_tracker.review.models import Category, Finding, FindingType, ReviewRequest, Severity
from ai_goals_tracker.review.rule_catalog import catalog_key, message_fragments, render, rule_text

COMPLEXITY_LIMIT = 10
NESTING_LIMIT = 4
LENGTH_LIMIT = 60
# Past this many comments a learner reads none of them; the most severe are kept.
MAX_FINDINGS = 200

# Known token formats are real credentials even in a test file.
_TOKEN_FORMATS = frozenset({"secret-private-key", "secret-aws-access-key", "secret-github-token", "secret-jwt"})
# The secret scanner owns hard-coded passwords: it reads names in several languages and judges the value.
_LEFT_TO_THE_SECRET_SCANNER = frozenset({"sec-105", "sec-106", "sec-107"})
# Rules that only belong outside tests.
_FINE_IN_TESTS = frozenset({"sec-101", "sec-105", "sec-106", "sec-107", "sec-311", "sec-108"})
# A project rule that names the defect more precisely than a generic one on the same line.
_COVERS = {
    "weak-password-hash": frozenset({"sec-303", "sec-324"}),
    "weak-hash-signature": frozenset({"sec-303", "sec-324"}),
    "secret-in-log": frozenset({"log-injection"}),
    "insecure-random": frozenset({"sec-311"}),
    "sql-injection": frozenset({"sec-608", "sql-injection-js"}),
    "xxe": frozenset({f"sec-{number}" for number in range(313, 321)}),
    "weak-cipher": frozenset({"sec-304", "sec-305", "sec-413"}),
    "template-injection": frozenset({"xss-response"}),
    "sql-from-constants": frozenset({"sec-608"}),
}
_SHELL_RULES = frozenset({"sec-602", "sec-604", "sec-605"})


def _finding(
    key: str,
    request: ReviewRequest,
    analyzer: str,
    lines: tuple[int | None, int | None],
    *,
    rule: str | None = None,
    fragments: Sequence[str] = (),
    **named: object,
) -> Finding:
    entry = rule_text(key)
    if entry is None:
        raise KeyError(f"no catalogue entry for rule {key!r}")
    message, hint = render(entry, request.locale, fragments, **named)
    return Finding(
        type=FindingType(entry.type),
        severity=Severity(entry.severity),
        category=Category(entry.category),
        rule=rule or key,
        message=message,
        file=request.file_path,
        start_line=lines[0],
        end_line=lines[1] if lines[1] is not None else lines[0],
        suggestion=hint,
        analyzer=analyzer,
    )


def _informative(finding: Finding) -> Finding:
    return finding.model_copy(update={"type": FindingType.INFORMATIVE, "severity": Severity.MINOR})


def syntax_findings(problems: Iterable[SyntaxProblem], request: ReviewRequest, analyzer: str) -> list[Finding]:
    return [
        Finding(
            type=FindingType.ESSENTIAL,
            severity=Severity.CRITICAL,
            category=Category.SYNTAX,
            rule="syntax-error",
            message=text("syntax-error", request.locale, detail=syntax_detail(problem.message, request.locale)),
            file=request.file_path,
            start_line=problem.line,
            end_line=problem.end_line,
            suggestion=text("syntax-error.hint", request.locale),
            analyzer=analyzer,
        )
        for problem in problems
    ]


def ruff_findings(issues: Iterable[RuffIssue], request: ReviewRequest) -> list[Finding]:
    findings = []
    for issue in issues:
        key = catalog_key(issue.code)
        if issue.code == "invalid-syntax" or key in _LEFT_TO_THE_SECRET_SCANNER or _skipped_in_tests(key, request):
            continue
        lines = (issue.line, issue.end_line)
        finding = _finding(key, request, "ruff", lines, rule=issue.code, fragments=message_fragments(issue.message))
        # ruff words a literal command "seems safe"; only a command built from data is injection.
        if key in _SHELL_RULES and "seems safe" in issue.message:
            finding = _informative(finding)
        if key == "sec-103" and not _world_writable_mask(issue.message):
            finding = _informative(finding)
        findings.append(finding)
    return findings


def _world_writable_mask(message: str) -> bool:
    """ruff's S103 quotes the mask (`0o755`); only one that lets everyone write blocks."""
    for fragment in message_fragments(message):
        try:
            return bool(int(fragment.removeprefix("0o"), 8) & 0o002)
        except ValueError:
            continue
    return True


def bandit_findings(issues: Iterable[BanditIssue], request: ReviewRequest) -> list[Finding]:
    findings = []
    for issue in issues:
        key = catalog_key(issue.test_id)
        if key in _LEFT_TO_THE_SECRET_SCANNER or _skipped_in_tests(key, request):
            continue
        finding = _finding(key, request, "bandit", (issue.line, issue.end_line), rule=issue.test_id)
        # bandit's own doubt: a low-confidence or low-severity report is worth knowing, not blocking.
        if issue.confidence == "LOW" or (key in _SHELL_RULES and issue.severity == "LOW"):
            finding = _informative(finding)
        # bandit rates a chmod HIGH only when everyone may write; 0o755 on a script is how scripts are installed.
        if key == "sec-103" and issue.severity != "HIGH":
            finding = _informative(finding)
        findings.append(finding)
    return findings


def _skipped_in_tests(key: str, request: ReviewRequest) -> bool:
    return key in _FINE_IN_TESTS and request.is_test_file


def secret_findings(hits: Iterable[SecretHit], request: ReviewRequest) -> list[Finding]:
    findings = []
    for hit in hits:
        key = "high-entropy-secret" if hit.rule == "secret-high-entropy" else "hardcoded-secret"
        finding = _finding(key, request, "secrets", (hit.line, hit.line), rule=hit.rule, name=hit.name)
        if hit.rule in ("secret-private-key", "secret-aws-access-key"):
            finding = finding.model_copy(update={"type": FindingType.ESSENTIAL, "severity": Severity.CRITICAL})
        # Tests log in with made-up passwords; a real token format is a leak wherever it is.
        if request.is_test_file and hit.rule not in _TOKEN_FORMATS:
            finding = _informative(finding)
        findings.append(finding)
    return findings


def hazard_findings(hazards: Iterable[tuple[str, int, int]], request: ReviewRequest, analyzer: str) -> list[Finding]:
    return [_finding(rule, request, analyzer, (start, end)) for rule, start, end in hazards]


def shape_findings(functions: Iterable[FunctionShape], request: ReviewRequest, analyzer: str) -> list[Finding]:
    findings = []
    for function in functions:
        if function.complexity is not None and function.complexity > COMPLEXITY_LIMIT:
            rank = cc_rank(function.complexity)
            severity = Severity.MINOR if rank == "C" else Severity.MAJOR
            values = {"value": function.complexity, "rank": rank}
            findings.append(_shape_finding("complexity", function, severity, request, analyzer, **values))
        if function.max_nesting > NESTING_LIMIT:
            severity = Severity.MAJOR if function.max_nesting > NESTING_LIMIT + 2 else Severity.MINOR
            findings.append(
                _shape_finding("deep-nesting", function, severity, request, analyzer, value=function.max_nesting)
            )
        if function.length > LENGTH_LIMIT:
            findings.append(
                _shape_finding("long-function", function, Severity.MINOR, request, analyzer, value=function.length)
            )
    return findings


def _shape_finding(
    rule: str, function: FunctionShape, severity: Severity, request: ReviewRequest, analyzer: str, **values: object
) -> Finding:
    return Finding(
        type=FindingType.ACTIONABLE if rule != "long-function" else FindingType.INFORMATIVE,
        severity=severity,
        category=Category.COMPLEXITY,
        rule=rule,
        message=text(rule, request.locale, name=function.name, **values),
        file=request.file_path,
        start_line=function.start_line,
        end_line=function.end_line,
        suggestion=text(f"{rule}.hint", request.locale),
        analyzer=analyzer,
    )


def celebration(rule: str, message: str, file: str) -> Finding:
    return Finding(
        type=FindingType.CELEBRATORY,
        severity=Severity.INFO,
        category=Category.STYLE,
        rule=rule,
        message=message,
        file=file,
        analyzer="review",
    )


def deduplicate(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per defect and line, the most severe report winning; O(n log n) whatever the input."""
    ordered = sorted(findings, key=lambda finding: (-finding.severity.rank, finding.suggestion is None))
    seen: set[tuple[str, int | None, str]] = set()
    covered: set[tuple[str, int | None]] = set()
    kept: list[Finding] = []
    for finding in ordered:
        key = catalog_key(finding.rule)
        # Findings without a line are told apart by their text; those with one by their place.
        identity = (key, finding.start_line, finding.message if finding.start_line is None else "")
        if identity in seen or (key, finding.start_line) in covered:
            continue
        seen.add(identity)
        covered.update((other, finding.start_line) for other in _COVERS.get(key, ()))
        kept.append(finding)
    kept = [finding for finding in kept if (catalog_key(finding.rule), finding.start_line) not in covered]
    return sorted(kept[:MAX_FINDINGS], key=lambda finding: (finding.start_line or 0, -finding.severity.rank))
