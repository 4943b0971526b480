"""A goal's validation criteria, judged offline with deterministic evidence only.

Format (documented in docs/review-criteria.md): a plain string is natural language; a dict with a
`check` key is a structured check. Natural-language criteria stay `needs_human` here: a keyword
match is not evidence that code does what a sentence asks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import regex

from ai_goals_tracker.criteria import (
    Check,
    Defines,
    Imports,
    MaxComplexity,
    NoFindings,
    Regex,
    Sentence,
    Tests,
    Unreadable,
    read,
    render,
    render_raw,
)
from ai_goals_tracker.review.analyzers.facts import CodeFacts, FunctionShape
from ai_goals_tracker.review.i18n import kind_word, text
from ai_goals_tracker.review.models import (
    Category,
    Criterion,
    CriterionResult,
    CriterionStatus,
    Finding,
    FindingType,
    Locale,
    Severity,
)
from ai_goals_tracker.review.tests_check import TestRunner, judge_tests, run_in_default_jail

RegexSearch = Callable[[str, str, str], int | None]
"""(pattern, flags, code) -> first matching line or None; may raise when it cannot finish."""

_REGEX_FLAGS = {"i": regex.IGNORECASE, "m": regex.MULTILINE, "s": regex.DOTALL, "x": regex.VERBOSE}
# A goal author's pattern runs on the learner's file with this much time: a pattern that backtracks
# catastrophically can only leave its own criterion to a person, never stall the review.
REGEX_SECONDS = 1.0


class RegexTimeout(Exception):
    """The pattern did not finish within REGEX_SECONDS on this code."""


class _CannotJudge(Exception):
    """The check is malformed or its analyzer is missing: a person has to look."""


@dataclass(slots=True)
class CriteriaContext:
    code: str
    locale: Locale
    facts: CodeFacts | None
    functions: list[FunctionShape] | None
    findings: list[Finding]
    regex_search: RegexSearch
    # Test criteria import the learner's file by its name and run only for their own language.
    file_path: str = ""
    language: str = ""
    run_tests: TestRunner = field(default=run_in_default_jail)


def first_regex_match(pattern: str, flags: str, code: str, seconds: float = REGEX_SECONDS) -> int | None:
    """The 1-based line of the first match, found within `seconds` (RegexTimeout otherwise): the
    pattern is the goal author's, and `regex` (unlike `re`) can stop a search that runs too long."""
    compiled = regex.compile(pattern, _regex_flags(flags) | regex.VERSION0)
    try:
        match = compiled.search(code, timeout=seconds)
    except TimeoutError as exc:
        raise RegexTimeout(pattern) from exc
    return None if match is None else code.count("\n", 0, match.start()) + 1


def _regex_flags(flags: str) -> int:
    value = 0
    for letter in flags:
        if letter not in _REGEX_FLAGS:
            raise ValueError(f"unknown regex flag {letter!r}")
        value |= _REGEX_FLAGS[letter]
    return value


def describe(criterion: Criterion) -> str:
    """A one-line label for feedback and LLM prompts."""
    return render_raw(criterion)


def evaluate_criteria(criteria: Sequence[Criterion], context: CriteriaContext) -> list[CriterionResult]:
    results = [_evaluate(criterion, context) for criterion in criteria]
    # Nobody decided a criterion that ends `needs_human`, whichever check gave up on it.
    return [r.model_copy(update={"judged_by": None}) if r.status is CriterionStatus.NEEDS_HUMAN else r for r in results]


def _evaluate(raw: Criterion, context: CriteriaContext) -> CriterionResult:
    criterion = read(raw)
    label = render(criterion, context.locale)
    if isinstance(criterion, Sentence):
        return CriterionResult(
            criterion=raw,
            kind="natural_language",
            status=CriterionStatus.NEEDS_HUMAN,
            evidence=text("evidence.needs-human", context.locale),
            judged_by=None,
            label=label,
        )
    result = CriterionResult(
        criterion=raw, kind="structured", status=CriterionStatus.NEEDS_HUMAN, evidence="", label=label
    )
    try:
        if isinstance(criterion, Unreadable):
            raise _CannotJudge(text("evidence.invalid-check", context.locale, reason=criterion.reason))
        if isinstance(criterion, Tests):
            judged = judge_tests(
                criterion, context.code, context.file_path, context.language, context.locale, context.run_tests
            )
            return result.model_copy(update=judged)
        status, evidence = _run_check(criterion, context)
    except _CannotJudge as exc:
        return result.model_copy(update={"evidence": str(exc)})
    return result.model_copy(update={"status": status, "evidence": evidence})


def _tests(criterion: Tests, context: CriteriaContext) -> dict[str, object]:
    return judge_tests(criterion, context.code, context.file_path, context.language, context.locale, context.run_tests)


def _run_check(criterion: Check, context: CriteriaContext) -> tuple[CriterionStatus, str]:
    if isinstance(criterion, Defines):
        return _defines(criterion, context)
    if isinstance(criterion, Imports):
        return _imports(criterion, context)
    if isinstance(criterion, Regex):
        return _regex(criterion, context)
    if isinstance(criterion, MaxComplexity):
        return _max_complexity(criterion, context)
    if isinstance(criterion, NoFindings):
        return _no_findings(criterion, context)
    raise _CannotJudge(text("evidence.invalid-check", context.locale, reason=f"no judge for {criterion.check!r}"))


def _parsed_facts(context: CriteriaContext) -> CodeFacts | None:
    """The parser's facts, None when only the text fallback is possible."""
    return context.facts


def _defines(criterion: Defines, context: CriteriaContext) -> tuple[CriterionStatus, str]:
    name, kind = criterion.name.strip(), criterion.kind
    facts = _parsed_facts(context)
    if facts is not None and not facts.parsed:
        return CriterionStatus.NOT_MET, text("evidence.unparsed", context.locale)
    if facts is not None:
        found = [d for d in facts.definitions if d.name == name and (kind is None or d.kind == kind)]
        if found:
            return CriterionStatus.MET, text(
                "evidence.defines-met",
                context.locale,
                name=name,
                kind=kind_word(found[0].kind, context.locale),
                line=found[0].line,
            )
        return CriterionStatus.NOT_MET, text("evidence.defines-missing", context.locale, name=name)
    # No parser for this language: a declaration keyword before the name is still hard evidence.
    keywords = r"(?:def|function|class|fn|func|fun|sub|struct|interface|type|let|const|var|val|proc)"
    line = context.regex_search(rf"\b{keywords}\s+{regex.escape(name)}\b", "", context.code)
    if line is None:
        return CriterionStatus.NOT_MET, text("evidence.defines-missing", context.locale, name=name)
    kind_label = kind_word(kind or "name", context.locale)
    return CriterionStatus.MET, text("evidence.defines-met", context.locale, name=name, kind=kind_label, line=line)


def _imports(criterion: Imports, context: CriteriaContext) -> tuple[CriterionStatus, str]:
    module = criterion.module.strip()
    facts = _parsed_facts(context)
    if facts is not None and not facts.parsed:
        return CriterionStatus.NOT_MET, text("evidence.unparsed", context.locale)
    if facts is not None:
        lines = [line for imported, line in facts.imports if _same_module(imported, module)]
        found = lines[0] if lines else None
    else:
        pattern = rf"^\s*(?:import|from|use|using|require|#include|include)\b[^\n]*\b{regex.escape(module)}\b"
        found = context.regex_search(pattern, "m", context.code)
    if found is None:
        return CriterionStatus.NOT_MET, text("evidence.imports-missing", context.locale, module=module)
    return CriterionStatus.MET, text("evidence.imports-met", context.locale, module=module, line=found)


def _same_module(imported: str, wanted: str) -> bool:
    return imported == wanted or imported.startswith((f"{wanted}.", f"{wanted}/"))


def _regex(criterion: Regex, context: CriteriaContext) -> tuple[CriterionStatus, str]:
    pattern, flags = criterion.pattern, criterion.flags
    expect_match = criterion.expect == "match"
    try:
        line = context.regex_search(pattern, flags, context.code)
    except RegexTimeout as exc:
        raise _CannotJudge(text("evidence.regex-timeout", context.locale, seconds=REGEX_SECONDS)) from exc
    except Exception as exc:  # an invalid pattern, or one so catastrophic that the sandbox gave up on it
        raise _CannotJudge(text("evidence.invalid-check", context.locale, reason=str(exc))) from exc
    if expect_match:
        if line is None:
            return CriterionStatus.NOT_MET, text("evidence.regex-missing", context.locale)
        return CriterionStatus.MET, text("evidence.regex-met", context.locale, line=line)
    if line is None:
        return CriterionStatus.MET, text("evidence.regex-absent", context.locale)
    return CriterionStatus.NOT_MET, text("evidence.regex-forbidden", context.locale, line=line)


def _max_complexity(criterion: MaxComplexity, context: CriteriaContext) -> tuple[CriterionStatus, str]:
    limit = criterion.value
    if context.facts is not None and not context.facts.parsed:
        return CriterionStatus.NOT_MET, text("evidence.unparsed", context.locale)
    if context.functions is None:
        raise _CannotJudge(text("evidence.complexity-unknown", context.locale))
    measured = [(f.complexity, f.name) for f in context.functions if f.complexity is not None]
    # Code without functions is one straight path: complexity 1.
    worst_value, worst_name = max(measured, default=(1, ""))
    if worst_value > limit:
        return CriterionStatus.NOT_MET, text(
            "evidence.complexity-over", context.locale, name=worst_name, value=worst_value, limit=limit
        )
    return CriterionStatus.MET, text("evidence.complexity-met", context.locale, value=worst_value, limit=limit)


def _no_findings(criterion: NoFindings, context: CriteriaContext) -> tuple[CriterionStatus, str]:
    floor = Severity(criterion.severity)
    category = Category(criterion.category) if criterion.category is not None else None
    matching = [
        finding
        for finding in context.findings
        if finding.type is not FindingType.CELEBRATORY
        and finding.category is not Category.LIMITS
        and finding.severity.rank >= floor.rank
        and (category is None or finding.category == category)
    ]
    if not matching:
        return CriterionStatus.MET, text("evidence.no-findings-met", context.locale, severity=floor.value)
    return CriterionStatus.NOT_MET, text(
        "evidence.no-findings-over",
        context.locale,
        count=len(matching),
        severity=floor.value,
        line=matching[0].start_line or "?",
    )
