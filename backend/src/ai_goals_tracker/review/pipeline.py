"""The review entry points: plain values in, a `ReviewResult` out, no database.

`review_submission` is synchronous and blocking (callers run it off the event loop);
`review_submission_with_llm` adds LLM feedback on top when a client is configured.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from radon.complexity import cc_rank

from ai_goals_tracker.ai.llm import LLMClient, LLMError
from ai_goals_tracker.review import findings as normalize
from ai_goals_tracker.review.analyzers.facts import CodeFacts, FunctionShape
from ai_goals_tracker.review.analyzers.python_ast import python_facts
from ai_goals_tracker.review.analyzers.python_tools import RadonReport, bandit_issues, radon_report
from ai_goals_tracker.review.analyzers.ruff_runner import RuffFailed, RuffIssue, run_ruff
from ai_goals_tracker.review.analyzers.script import script_facts
from ai_goals_tracker.review.analyzers.secrets import find_secrets
from ai_goals_tracker.review.criteria import CriteriaContext, evaluate_criteria, first_regex_match
from ai_goals_tracker.review.feedback import compose_feedback, compose_summary
from ai_goals_tracker.review.i18n import text
from ai_goals_tracker.review.languages import FULLY_ANALYZED, PYTHON, normalize_language
from ai_goals_tracker.review.limits import DEFAULT_LIMITS, ReviewLimits
from ai_goals_tracker.review.llm_feedback import LLMReview, apply_llm_review, llm_review_messages
from ai_goals_tracker.review.models import (
    Category,
    CriterionResult,
    CriterionStatus,
    Finding,
    Metrics,
    ReviewRequest,
    ReviewResult,
)
from ai_goals_tracker.review.sandbox import Sandbox, SandboxError, default_sandbox
from ai_goals_tracker.review.scoring import passed, score
from ai_goals_tracker.review.tests_check import tests_coverage

_GOOD_MAINTAINABILITY = 65.0
_SECURITY_ANALYZERS = ("ruff", "bandit", "tree-sitter", "secrets")


@dataclass(slots=True)
class _Review:
    request: ReviewRequest
    language: str
    limits: ReviewLimits
    sandbox: Sandbox
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    analyzers_run: list[str] = field(default_factory=list)
    facts: CodeFacts | None = None
    functions: list[FunctionShape] | None = None
    maintainability: float | None = None
    missing: set[str] = field(default_factory=set)

    @property
    def file(self) -> str:
        return self.request.file_path

    def unavailable(self, analyzer: str, reason: str) -> None:
        message = text("analyzer-unavailable", self.request.locale, analyzer=analyzer, reason=reason)
        self.findings.append(normalize.limit_finding(f"{analyzer}-unavailable", message, self.file, analyzer))


def review_submission(
    request: ReviewRequest, *, limits: ReviewLimits = DEFAULT_LIMITS, sandbox: Sandbox | None = None
) -> ReviewResult:
    """Review one file offline: analyzers, criteria, score, verdict and localized feedback."""
    review = _Review(
        request=request,
        language=normalize_language(request.language, request.file_path),
        limits=limits,
        sandbox=sandbox or default_sandbox(),
    )
    _scan_secrets(review)
    size = len(request.code.encode("utf-8"))
    if size > limits.max_analyzed_bytes:
        message = text("too-large", request.locale, size=size // 1024, limit=limits.max_analyzed_bytes // 1024)
        review.findings.append(normalize.limit_finding("too-large", message, review.file, "review"))
    elif review.language == PYTHON:
        _analyze_python(review)
    elif review.language in FULLY_ANALYZED:
        _analyze_script(review)
    else:
        review.notes.append(text("note.partial-language", request.locale, language=review.language))
    return _conclude(review)


async def review_submission_with_llm(
    request: ReviewRequest,
    llm: LLMClient | None,
    *,
    limits: ReviewLimits = DEFAULT_LIMITS,
    sandbox: Sandbox | None = None,
) -> ReviewResult:
    """The offline review, then the LLM's judgement of natural-language criteria and its feedback.

    Any LLM failure keeps the offline feedback and adds a warning the caller records as
    a `system.warning` event.
    """
    offline = await asyncio.to_thread(review_submission, request, limits=limits, sandbox=sandbox)
    if llm is None:
        return offline
    try:
        verdict = await llm.complete_structured(llm_review_messages(request, offline), LLMReview)
    except LLMError as exc:
        warning = f"LLM feedback unavailable, offline feedback used: {exc}"
        return offline.model_copy(update={"warnings": [*offline.warnings, warning]})
    return apply_llm_review(offline, verdict, request.pass_threshold)


def _scan_secrets(review: _Review) -> None:
    scanned = review.request.code[: review.limits.max_scanned_bytes]
    hits = find_secrets(scanned)
    review.findings += normalize.secret_findings(hits, review.file, review.request.locale)
    review.analyzers_run.append("secrets")


def _analyze_python(review: _Review) -> None:
    code, locale = review.request.code, review.request.locale
    try:
        review.facts = review.sandbox.run(python_facts, code, timeout=review.limits.parse_seconds)
    except SandboxError as exc:
        review.missing.add("parser")
        review.unavailable("ast", str(exc))
        return
    review.analyzers_run.append("ast")
    if not review.facts.parsed:
        review.findings += normalize.syntax_findings(review.facts.syntax_problems, review.file, "ast", locale)
        review.notes.append(text("note.syntax-skip", locale))
        return
    # ruff is a separate process already: let it run while the sandbox does radon and bandit.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="aigt-ruff") as pool:
        ruff_job = pool.submit(run_ruff, code, review.file, review.limits.ruff_seconds)
        radon = _run_radon(review)
        _run_bandit(review)
        _collect_ruff(review, ruff_job.result)
    review.functions = _merge_shapes(review.facts.functions, radon)
    review.findings += normalize.shape_findings(
        review.functions or review.facts.functions, review.file, "radon", locale
    )


def _run_radon(review: _Review) -> RadonReport | None:
    try:
        radon = review.sandbox.run(radon_report, review.request.code, timeout=review.limits.metrics_seconds)
    except SandboxError as exc:
        review.missing.add("complexity")
        review.unavailable("radon", str(exc))
        return None
    review.analyzers_run.append("radon")
    review.maintainability = radon.maintainability_index
    return radon


def _run_bandit(review: _Review) -> None:
    try:
        issues = review.sandbox.run(bandit_issues, review.request.code, timeout=review.limits.bandit_seconds)
    except SandboxError as exc:
        review.unavailable("bandit", str(exc))
        return
    review.analyzers_run.append("bandit")
    review.findings += normalize.bandit_findings(issues, review.file, review.request.locale)


def _collect_ruff(review: _Review, result: Callable[[], list[RuffIssue]]) -> None:
    try:
        issues = result()
    except RuffFailed as exc:
        review.unavailable("ruff", str(exc))
        return
    review.analyzers_run.append("ruff")
    review.findings += normalize.ruff_findings(issues, review.file, review.request.locale)


def _merge_shapes(shapes: list[FunctionShape], radon: RadonReport | None) -> list[FunctionShape] | None:
    """ast knows nesting and extent, radon knows complexity: join them on the definition line."""
    if radon is None:
        return None
    complexity_at = {function.start_line: function.complexity for function in radon.functions}
    return [
        FunctionShape(
            name=shape.name,
            start_line=shape.start_line,
            end_line=shape.end_line,
            max_nesting=shape.max_nesting,
            complexity=complexity_at.get(shape.start_line),
        )
        for shape in shapes
    ]


def _analyze_script(review: _Review) -> None:
    locale = review.request.locale
    try:
        review.facts = review.sandbox.run(
            script_facts, review.request.code, review.language, timeout=review.limits.parse_seconds
        )
    except SandboxError as exc:
        review.missing.update({"parser", "complexity"})
        review.unavailable("tree-sitter", str(exc))
        return
    review.analyzers_run.append("tree-sitter")
    if not review.facts.parsed:
        review.findings += normalize.syntax_findings(review.facts.syntax_problems, review.file, "tree-sitter", locale)
        review.notes.append(text("note.syntax-skip", locale))
        return
    review.functions = review.facts.functions
    review.findings += normalize.hazard_findings(review.facts.hazards, review.file, locale)
    review.findings += normalize.shape_findings(review.functions, review.file, "tree-sitter", locale)


def _regex_search(review: _Review) -> Callable[[str, str, str], int | None]:
    def search(pattern: str, flags: str, code: str) -> int | None:
        return review.sandbox.run(first_regex_match, pattern, flags, code, timeout=review.limits.criteria_seconds)

    return search


def _conclude(review: _Review) -> ReviewResult:
    request = review.request
    findings = normalize.deduplicate(review.findings)
    criteria = evaluate_criteria(
        request.criteria,
        CriteriaContext(
            code=request.code,
            locale=request.locale,
            facts=review.facts if review.language in FULLY_ANALYZED else None,
            functions=review.functions,
            findings=findings,
            regex_search=_regex_search(review),
            missing=review.missing,
            file_path=request.file_path,
            language=review.language,
        ),
    )
    # Test criteria measured how much of the file their tests run: the snapshot's `test_coverage`.
    metrics = _metrics(review).model_copy(update={"test_coverage": tests_coverage(criteria)})
    findings = _celebrations(review, findings, metrics, criteria) + findings
    final_score = score(findings, criteria)
    verdict = passed(findings, criteria, final_score, request.pass_threshold)
    return ReviewResult(
        passed=verdict,
        score=final_score,
        summary=compose_summary(findings, criteria, final_score, verdict, request.locale),
        feedback=compose_feedback(
            findings, criteria, review.notes, request.locale, review.limits.max_comments_per_severity
        ),
        findings=findings,
        criteria=criteria,
        metrics=metrics,
        analyzers_run=review.analyzers_run,
        notes=review.notes,
    )


def lines_of_code(code: str) -> int:
    """Lines that are neither blank nor a whole-line comment (what `metadata.lines_of_code` counts)."""
    return sum(1 for line in code.splitlines() if line.strip() and not line.lstrip().startswith(("#", "//")))


def _metrics(review: _Review) -> Metrics:
    lines = review.request.code.splitlines()
    complexities = [f.complexity for f in review.functions or [] if f.complexity is not None]
    worst = max(complexities, default=None)
    return Metrics(
        language=review.language,
        lines_of_code=lines_of_code(review.request.code),
        total_lines=len(lines),
        complexity_rank=cc_rank(worst) if worst is not None else None,
        max_complexity=worst,
        maintainability_index=round(review.maintainability, 2) if review.maintainability is not None else None,
    )


def _celebrations(
    review: _Review, findings: list[Finding], metrics: Metrics, criteria: list[CriterionResult]
) -> list[Finding]:
    locale, file = review.request.locale, review.file
    comments = [f for f in findings if f.category is not Category.LIMITS]
    praise: list[Finding] = []
    if review.facts is not None and review.facts.parsed:
        praise.append(
            normalize.celebration(
                "praise-parses",
                text("praise.parses", locale, language=review.language, loc=metrics.lines_of_code),
                file,
            )
        )
        if not comments:
            praise.append(normalize.celebration("praise-clean", text("praise.clean", locale), file))
    if metrics.max_complexity is not None and metrics.max_complexity <= normalize.COMPLEXITY_LIMIT:
        message = text("praise.simple", locale, value=metrics.max_complexity, rank=metrics.complexity_rank)
        praise.append(normalize.celebration("praise-simple", message, file))
    if metrics.maintainability_index is not None and metrics.maintainability_index >= _GOOD_MAINTAINABILITY:
        message = text("praise.maintainable", locale, value=metrics.maintainability_index)
        praise.append(normalize.celebration("praise-maintainable", message, file))
    security_ran = [name for name in review.analyzers_run if name in _SECURITY_ANALYZERS]
    # Only a parsed file was searched for more than secrets: praise nothing that was not looked at.
    parsed = review.facts is not None and review.facts.parsed
    if parsed and not any(f.category is Category.SECURITY for f in comments):
        message = text("praise.no-security", locale, analyzers=", ".join(security_ran))
        praise.append(normalize.celebration("praise-no-security", message, file))
    decided = [c for c in criteria if c.status is not CriterionStatus.NEEDS_HUMAN]
    met = sum(c.status is CriterionStatus.MET for c in decided)
    if met:
        message = text("praise.criteria", locale, met=met, total=len(decided))
        praise.append(normalize.celebration("praise-criteria", message, file))
    return praise
