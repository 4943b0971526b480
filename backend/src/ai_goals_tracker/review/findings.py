"""Normalize every analyzer's output into `Finding`s, localized, and merge duplicates."""

from __future__ import annotations

import re
from collections.abc import Iterable

from radon.complexity import cc_rank

from ai_goals_tracker.review.analyzers.facts import FunctionShape, SyntaxProblem
from ai_goals_tracker.review.analyzers.python_tools import BanditIssue
from ai_goals_tracker.review.analyzers.ruff_runner import RuffIssue
from ai_goals_tracker.review.analyzers.secrets import SecretHit
from ai_goals_tracker.review.i18n import has_text, text
from ai_goals_tracker.review.models import Category, Finding, FindingType, Locale, Severity

COMPLEXITY_LIMIT = 10
NESTING_LIMIT = 4
LENGTH_LIMIT = 60

# ruff's S-rules re-implement bandit's B-rules under the same number: one issue, one canonical name.
_SECURITY_CANONICAL = {
    "608": "sql-injection",
    "307": "eval",
    "102": "exec",
    "602": "shell-injection",
    "604": "shell-injection",
    "605": "shell-injection",
    "609": "shell-injection",
    "105": "hardcoded-secret",
    "106": "hardcoded-secret",
    "107": "hardcoded-secret",
}
_CRITICAL_SECURITY = frozenset({"sql-injection", "eval", "exec", "shell-injection"})
_LOW_RISK_SECURITY = frozenset({"110", "112", "113"})  # try/except/pass and friends: sloppy, not exploitable
_LINT_CANONICAL = {
    "F821": "undefined-name",
    "F401": "unused-import",
    "F841": "unused-variable",
    "E711": "none-comparison",
    "E712": "bool-comparison",
    "E722": "bare-except",
    "B006": "mutable-default",
}
_MINOR_BUGBEAR = frozenset({"B007", "B009", "B010", "B018", "B019", "B027"})
_SECRET_SEVERITY = {
    "secret-private-key": Severity.CRITICAL,
    "secret-aws-access-key": Severity.CRITICAL,
}
_SECRET_NAME_IN_MESSAGE = re.compile(r"""(?:assigned to|argument passed to)?:?\s*["']?(\w+)["']?$""")


def canonical_rule(rule: str) -> str:
    """The issue a rule reports, shared by analyzers that find the same thing."""
    if rule.startswith("secret-"):
        return "hardcoded-secret"
    if re.fullmatch(r"[SB]\d{3}", rule) and rule[1:] in _SECURITY_CANONICAL:
        return _SECURITY_CANONICAL[rule[1:]]
    return _LINT_CANONICAL.get(rule, rule)


def syntax_findings(problems: Iterable[SyntaxProblem], file: str, analyzer: str, locale: Locale) -> list[Finding]:
    return [
        Finding(
            type=FindingType.ESSENTIAL,
            severity=Severity.CRITICAL,
            category=Category.SYNTAX,
            rule="syntax-error",
            message=text("syntax-error", locale, detail=problem.message),
            file=file,
            start_line=problem.line,
            end_line=problem.end_line,
            suggestion=text("syntax-error.hint", locale),
            analyzer=analyzer,
        )
        for problem in problems
    ]


def ruff_findings(issues: Iterable[RuffIssue], file: str, locale: Locale) -> list[Finding]:
    return [_ruff_finding(issue, file, locale) for issue in issues if issue.code != "invalid-syntax"]


def _ruff_finding(issue: RuffIssue, file: str, locale: Locale) -> Finding:
    if issue.code.startswith("S"):
        kind, severity = _security_level(issue.code[1:], bandit_severity=None)
        category = Category.SECURITY
    else:
        kind, severity, category = _lint_level(issue.code)
    return _localized(
        rule=issue.code,
        detail=issue.message,
        kind=kind,
        severity=severity,
        category=category,
        file=file,
        lines=(issue.line, issue.end_line),
        analyzer="ruff",
        locale=locale,
    )


def _lint_level(code: str) -> tuple[FindingType, Severity, Category]:
    if code.startswith("F7"):  # `return`/`break` outside their block: the program cannot run
        return FindingType.ESSENTIAL, Severity.CRITICAL, Category.SYNTAX
    if code in ("F401", "F811", "F841") or code in _MINOR_BUGBEAR:
        return FindingType.ACTIONABLE, Severity.MINOR, Category.STYLE
    if code.startswith(("F", "B", "PLE")):
        return FindingType.ACTIONABLE, Severity.MAJOR, Category.BUG
    return FindingType.INFORMATIVE, Severity.MINOR, Category.STYLE


def _security_level(number: str, bandit_severity: str | None) -> tuple[FindingType, Severity]:
    canonical = _SECURITY_CANONICAL.get(number)
    if canonical in _CRITICAL_SECURITY:
        return FindingType.ESSENTIAL, Severity.CRITICAL
    if canonical == "hardcoded-secret":
        return FindingType.ACTIONABLE, Severity.MAJOR
    if number in _LOW_RISK_SECURITY or bandit_severity == "LOW":
        return FindingType.INFORMATIVE, Severity.MINOR
    return FindingType.ACTIONABLE, Severity.MAJOR


def bandit_findings(issues: Iterable[BanditIssue], file: str, locale: Locale) -> list[Finding]:
    findings = []
    for issue in issues:
        kind, severity = _security_level(issue.test_id[1:], bandit_severity=issue.severity)
        findings.append(
            _localized(
                rule=issue.test_id,
                detail=issue.message,
                kind=kind,
                severity=severity,
                category=Category.SECURITY,
                file=file,
                lines=(issue.line, issue.end_line),
                analyzer="bandit",
                locale=locale,
            )
        )
    return findings


def secret_findings(hits: Iterable[SecretHit], file: str, locale: Locale) -> list[Finding]:
    findings = []
    for hit in hits:
        severity = _SECRET_SEVERITY.get(hit.rule, Severity.MAJOR)
        findings.append(
            Finding(
                type=FindingType.ESSENTIAL if severity is Severity.CRITICAL else FindingType.ACTIONABLE,
                severity=severity,
                category=Category.SECURITY,
                rule=hit.rule,
                message=text("hardcoded-secret", locale, name=hit.name),
                file=file,
                start_line=hit.line,
                end_line=hit.line,
                suggestion=text("hardcoded-secret.hint", locale),
                analyzer="secrets",
            )
        )
    return findings


def hazard_findings(hazards: Iterable[tuple[str, int, int]], file: str, locale: Locale) -> list[Finding]:
    findings = []
    for rule, start, end in hazards:
        executes_code = rule in ("js-eval", "js-new-function")
        findings.append(
            Finding(
                type=FindingType.ESSENTIAL if executes_code else FindingType.ACTIONABLE,
                severity=Severity.CRITICAL if executes_code else Severity.MAJOR,
                category=Category.SECURITY,
                rule=rule,
                message=text(rule, locale),
                file=file,
                start_line=start,
                end_line=end,
                suggestion=text("js-eval.hint" if executes_code else "js-inner-html.hint", locale),
                analyzer="tree-sitter",
            )
        )
    return findings


def shape_findings(functions: Iterable[FunctionShape], file: str, analyzer: str, locale: Locale) -> list[Finding]:
    findings = []
    for function in functions:
        if function.complexity is not None and function.complexity > COMPLEXITY_LIMIT:
            rank = cc_rank(function.complexity)
            findings.append(
                _shape_finding(
                    "complexity",
                    function,
                    Severity.MINOR if rank == "C" else Severity.MAJOR,
                    file,
                    analyzer,
                    locale,
                    value=function.complexity,
                    rank=rank,
                )
            )
        if function.max_nesting > NESTING_LIMIT:
            severity = Severity.MAJOR if function.max_nesting > NESTING_LIMIT + 2 else Severity.MINOR
            findings.append(
                _shape_finding("deep-nesting", function, severity, file, analyzer, locale, value=function.max_nesting)
            )
        if function.length > LENGTH_LIMIT:
            findings.append(
                _shape_finding("long-function", function, Severity.MINOR, file, analyzer, locale, value=function.length)
            )
    return findings


def _shape_finding(
    rule: str,
    function: FunctionShape,
    severity: Severity,
    file: str,
    analyzer: str,
    locale: Locale,
    **values: object,
) -> Finding:
    return Finding(
        type=FindingType.ACTIONABLE if rule != "long-function" else FindingType.INFORMATIVE,
        severity=severity,
        category=Category.COMPLEXITY,
        rule=rule,
        message=text(rule, locale, name=function.name, **values),
        file=file,
        start_line=function.start_line,
        end_line=function.end_line,
        suggestion=text(f"{rule}.hint", locale),
        analyzer=analyzer,
    )


def limit_finding(rule: str, message: str, file: str, analyzer: str) -> Finding:
    """The review itself was cut short; the learner should know what was not checked."""
    return Finding(
        type=FindingType.INFORMATIVE,
        severity=Severity.INFO,
        category=Category.LIMITS,
        rule=rule,
        message=message,
        file=file,
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


def _localized(
    *,
    rule: str,
    detail: str,
    kind: FindingType,
    severity: Severity,
    category: Category,
    file: str,
    lines: tuple[int, int],
    analyzer: str,
    locale: Locale,
) -> Finding:
    canonical = canonical_rule(rule)
    key = canonical if has_text(canonical) else "analyzer-message"
    values: dict[str, str] = {"detail": detail.rstrip(".")}
    if canonical == "hardcoded-secret":
        # Name the variable, never echo the secret value that bandit puts in its message.
        values["name"] = _secret_name(detail)
    hint_key = f"{canonical}.hint"
    return Finding(
        type=kind,
        severity=severity,
        category=category,
        rule=rule,
        message=text(key, locale, **values),
        file=file,
        start_line=lines[0],
        end_line=max(lines),
        suggestion=text(hint_key, locale) if has_text(hint_key) else None,
        analyzer=analyzer,
    )


def _secret_name(message: str) -> str:
    if "assigned to" in message or "argument passed to" in message:
        match = _SECRET_NAME_IN_MESSAGE.search(message)
        if match:
            return match.group(1)
    return "password"


def deduplicate(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per issue and place: the most severe report wins when analyzers overlap."""
    ordered = sorted(findings, key=lambda finding: (-finding.severity.rank, finding.suggestion is None))
    kept: list[Finding] = []
    for finding in ordered:
        if not any(_same_issue(finding, other) for other in kept):
            kept.append(finding)
    return sorted(kept, key=lambda finding: (finding.start_line or 0, -finding.severity.rank))


def _same_issue(first: Finding, second: Finding) -> bool:
    if canonical_rule(first.rule) != canonical_rule(second.rule) or first.start_line is None:
        return first.start_line is None and first.rule == second.rule and first.message == second.message
    if second.start_line is None:
        return False
    first_end = first.end_line or first.start_line
    second_end = second.end_line or second.start_line
    return first.start_line <= second_end and second.start_line <= first_end
