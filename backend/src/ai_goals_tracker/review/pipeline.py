"""The review entry points: plain values in, a `ReviewResult` out, no database.

`review_submission` is synchronous and runs every analyzer in the calling process; `review_offline`
runs it in a helper process that is killed when the review's time budget is spent or its caller is
cancelled; `review_submission_with_llm` adds LLM feedback on top when a client is configured.

Fail closed: a verdict needs every analyzer that applies to the language to run to the end. When one
cannot (it crashed, timed out, or the file is too large or in a language nothing here can parse), the
outcome is `not_reviewed`, with the reason in the learner's language: neither a pass nor a fail.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from radon.complexity import cc_rank

from ai_goals_tracker.ai.llm import LLMClient
from ai_goals_tracker.config import get_settings
from ai_goals_tracker.review import findings as normalize
from ai_goals_tracker.review.analyzers.facts import CodeFacts, FunctionShape
from ai_goals_tracker.review.analyzers.python_ast import python_facts
from ai_goals_tracker.review.analyzers.python_tools import RadonReport, bandit_issues, radon_report
from ai_goals_tracker.review.analyzers.ruff_runner import RuffFailed, run_ruff
from ai_goals_tracker.review.analyzers.script import GrammarUnavailable, script_facts
from ai_goals_tracker.review.analyzers.secrets import find_secrets
from ai_goals_tracker.review.criteria import CriteriaContext, evaluate_criteria, first_regex_match
from ai_goals_tracker.review.feedback import compose_feedback, compose_summary
from ai_goals_tracker.review.i18n import text
from ai_goals_tracker.review.languages import FULLY_ANALYZED, PYTHON, UNKNOWN, infer_language, normalize_language
from ai_goals_tracker.review.limits import DEFAULT_LIMITS, ReviewLimits
from ai_goals_tracker.review.llm_feedback import add_llm_review
from ai_goals_tracker.review.models import (
    Category,
    CriterionResult,
    CriterionStatus,
    Finding,
    Locale,
    Metrics,
    ReviewOutcome,
    ReviewRequest,
    ReviewResult,
)
from ai_goals_tracker.review.sandbox import SandboxError, SandboxTimeout, default_sandbox
from ai_goals_tracker.review.scoring import outcome, score
from ai_goals_tracker.review.tests_check import test_failure_findings, tests_coverage
from ai_goals_tracker.review.verdict import settle

_GOOD_MAINTAINABILITY = 65.0
_SECURITY_ANALYZERS = ("ruff", "bandit", "tree-sitter", "secrets", "rules")


class NotReviewable(Exception):
    """The review cannot reach a verdict; `reason` is already in the learner's language."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class _Review:
    request: ReviewRequest
    language: str
    limits: ReviewLimits
    on_step: Callable[[str], None] | None = None
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    analyzers_run: list[str] = field(default_factory=list)
    facts: CodeFacts | None = None
    functions: list[FunctionShape] | None = None
    maintainability: float | None = None

    @property
    def locale(self) -> Locale:
        return self.request.locale

    def step(self, name: str) -> None:
        if self.on_step is not None:
            self.on_step(name)

    def cannot_finish(self, analyzer: str, reason: str) -> NotReviewable:
        return NotReviewable(text("not-reviewed.analyzer-failed", self.locale, analyzer=analyzer, reason=reason))


def review_submission(
    request: ReviewRequest, *, limits: ReviewLimits = DEFAULT_LIMITS, on_step: Callable[[str], None] | None = None
) -> ReviewResult:
    """Review one file: analyzers, criteria, score, verdict and localized feedback (or `not_reviewed`)."""
    review = _Review(request=request, language=analysis_language(request), limits=limits, on_step=on_step)
    try:
        _ensure_small_enough(review)
        _scan_secrets(review)
        if review.language not in FULLY_ANALYZED:
            raise NotReviewable(text("not-reviewed.language", review.locale, language=review.language))
        if review.language == PYTHON:
            _analyze_python(review)
        else:
            _analyze_script(review)
    except NotReviewable as exc:
        # What was found before the review stopped (a leaked key) is still worth telling.
        return not_reviewed_result(request, exc.reason, findings=normalize.deduplicate(review.findings))
    return _conclude(review)


def _review_in_helper(request: ReviewRequest, limits: ReviewLimits) -> ReviewResult:
    """What a helper process runs: the review, telling the parent each step as it starts."""
    from ai_goals_tracker.review.sandbox_worker import report_step

    return review_submission(request, limits=limits, on_step=report_step)


_WARM_UP_FILES = (
    ("warm_up.py", "import os\n\n\ndef main(name: str) -> str:\n    return os.path.join('a', name)\n"),
    ("warm_up.ts", "export function main(name: string): string {\n  return `a/${name}`;\n}\n"),
    ("warm_up.tsx", "export const Main = () => <p>hi</p>;\n"),
    ("warm_up.js", "function main(name) {\n  return 'a/' + name;\n}\n"),
)


def _warm_up_in_helper() -> None:
    """Import every analyzer and load every grammar, so that the first learner's review is as quick as the rest."""
    for file_path, code in _WARM_UP_FILES:
        review_submission(ReviewRequest(code=code, file_path=file_path))


def warm_up_reviews() -> None:
    """Start the review helper processes with everything a review needs loaded (called when a worker starts)."""
    default_sandbox().warm_up(_warm_up_in_helper)


def review_budget(request: ReviewRequest, limits: ReviewLimits) -> float:
    """The analyzers' budget, plus the wall time of each test criterion's run in the sandbox."""
    test_runs = sum(1 for c in request.criteria if isinstance(c, dict) and c.get("check") == "tests")
    return limits.review_seconds + test_runs * get_settings().tests_seconds


async def review_offline(request: ReviewRequest, *, limits: ReviewLimits = DEFAULT_LIMITS) -> ReviewResult:
    """`review_submission` in a helper process that is killed when the budget is spent or on cancellation."""
    budget = review_budget(request, limits)
    try:
        return await default_sandbox().run_async(_review_in_helper, request, limits, seconds=budget)
    except SandboxTimeout as exc:
        reason = text("not-reviewed.timeout", request.locale, analyzer=exc.step or "review", seconds=f"{budget:g}")
        return not_reviewed_result(request, reason)
    except SandboxError as exc:
        reason = text("not-reviewed.analyzer-failed", request.locale, analyzer=exc.step or "review", reason=str(exc))
        return not_reviewed_result(request, reason)


async def review_submission_with_llm(
    request: ReviewRequest, llm: LLMClient | None, *, limits: ReviewLimits = DEFAULT_LIMITS
) -> ReviewResult:
    """The offline review, then the LLM's judgement of natural-language criteria and its feedback.

    The model's answer is merged, never swapped in (review/llm_feedback.py); any LLM failure, or an
    answer with nothing usable, keeps the offline result and adds one warning the caller records as a
    `system.warning` event. A review the analyzers could not finish stays `not_reviewed`: an LLM's
    opinion does not replace the missing evidence.
    """
    offline = await review_offline(request, limits=limits)
    if llm is None or offline.outcome is ReviewOutcome.NOT_REVIEWED:
        return offline
    # The model may have decided waiting criteria: the outcome follows from what is decided now.
    return settle(await add_llm_review(request, offline, llm), request.pass_threshold, request.locale)


def not_reviewed_result(request: ReviewRequest, reason: str, findings: Sequence[Finding] = ()) -> ReviewResult:
    """No verdict: the task is neither passed nor failed, and the learner is told why and that a retry may work."""
    feedback = text("not-reviewed.feedback", request.locale, file=request.file_path, reason=reason)
    if findings:
        feedback += "\n\n" + compose_feedback(
            findings, [], [], request.locale, DEFAULT_LIMITS.max_comments_per_severity
        )
    return ReviewResult(
        outcome=ReviewOutcome.NOT_REVIEWED,
        not_reviewed_reason=reason,
        passed=False,
        score=0.0,
        summary=text("not-reviewed.summary", request.locale, reason=reason),
        feedback=feedback,
        findings=list(findings),
        criteria=[],
        metrics=_basic_metrics(request, analysis_language(request)),
        analyzers_run=[],
    )


def analysis_language(request: ReviewRequest) -> str:
    """The language to analyze the code as: neither the path nor the declared language can opt out.

    An analyzable extension wins (editors name files by their language), then an analyzable declared
    language; a file that names neither but parses as Python (`notes.ipynb` holding a script) is Python.
    """
    by_path = infer_language(request.file_path)
    declared = normalize_language(request.language, request.file_path)
    for candidate in (by_path, declared):
        if candidate in FULLY_ANALYZED:
            return candidate
    if _reads_as_python(request.code):
        return PYTHON
    return declared if declared != UNKNOWN else by_path


def _reads_as_python(code: str) -> bool:
    if len(code) > DEFAULT_LIMITS.max_analyzed_bytes:
        return False
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    code_like = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.Call)
    return any(isinstance(node, code_like) for node in ast.walk(tree))


def _ensure_small_enough(review: _Review) -> None:
    code, limits, locale = review.request.code, review.limits, review.locale
    size = len(code.encode("utf-8"))
    lines = code.splitlines()
    if size > limits.max_analyzed_bytes:
        raise NotReviewable(
            text("not-reviewed.too-large", locale, size=size // 1024, limit=limits.max_analyzed_bytes // 1024)
        )
    if len(lines) > limits.max_analyzed_lines:
        limit = limits.max_analyzed_lines
        raise NotReviewable(text("not-reviewed.too-many-lines", locale, lines=len(lines), limit=limit))
    longest = max(range(len(lines)), key=lambda index: len(lines[index]), default=None)
    if longest is not None and len(lines[longest]) > limits.max_line_chars:
        chars, limit = len(lines[longest]), limits.max_line_chars
        raise NotReviewable(text("not-reviewed.long-line", locale, line=longest + 1, chars=chars, limit=limit))


def _scan_secrets(review: _Review) -> None:
    review.step("secrets")
    hits = find_secrets(review.request.code)
    review.findings += normalize.secret_findings(hits, review.request)
    review.analyzers_run.append("secrets")


def _analyze_python(review: _Review) -> None:
    code, request = review.request.code, review.request
    review.step("ast")
    review.facts = _analyzer_output(review, "ast", python_facts, code)
    review.analyzers_run.append("ast")
    if not review.facts.parsed:
        # The file cannot run: that alone decides the verdict, whatever else the linters would say.
        review.findings += normalize.syntax_findings(review.facts.syntax_problems, request, "ast")
        review.notes.append(text("note.syntax-skip", review.locale))
        return
    # ruff is a separate process: let it run while radon and bandit run here.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="aigt-ruff") as pool:
        ruff_job = pool.submit(run_ruff, code, review.limits.ruff_seconds)
        review.step("bandit")
        bandit = _analyzer_output(review, "bandit", bandit_issues, code)
        review.step("radon")
        radon = _analyzer_output(review, "radon", radon_report, code)
        review.step("ruff")
        try:
            ruff = ruff_job.result()
        except RuffFailed as exc:
            raise review.cannot_finish("ruff", str(exc)) from exc
    review.analyzers_run += ["bandit", "radon", "ruff", "rules"]
    review.maintainability = radon.maintainability_index
    review.findings += normalize.bandit_findings(bandit, request)
    review.findings += normalize.ruff_findings(ruff, request)
    review.findings += normalize.hazard_findings(review.facts.hazards, request, "rules")
    review.functions = _merge_shapes(review.facts.functions, radon)
    review.findings += normalize.shape_findings(review.functions, request, "radon")


def _analyzer_output(review: _Review, name: str, analyzer: Callable[[str], Any], code: str) -> Any:
    try:
        return analyzer(code)
    except (Exception, RecursionError) as exc:
        raise review.cannot_finish(name, f"{type(exc).__name__}: {exc}"[:300]) from exc


def _merge_shapes(shapes: list[FunctionShape], radon: RadonReport) -> list[FunctionShape]:
    """ast knows nesting and extent, radon knows complexity: join them on the definition line."""
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
    request = review.request
    review.step("tree-sitter")
    try:
        review.facts = script_facts(request.code, review.language)
    except (GrammarUnavailable, RecursionError) as exc:
        raise review.cannot_finish("tree-sitter", str(exc)) from exc
    review.analyzers_run.append("tree-sitter")
    if not review.facts.parsed:
        review.findings += normalize.syntax_findings(review.facts.syntax_problems, request, "tree-sitter")
        review.notes.append(text("note.syntax-skip", review.locale))
        return
    review.functions = review.facts.functions
    review.findings += normalize.hazard_findings(review.facts.hazards, request, "tree-sitter")
    review.findings += normalize.shape_findings(review.functions, request, "tree-sitter")


def _conclude(review: _Review) -> ReviewResult:
    request = review.request
    review.step("criteria")
    findings = normalize.deduplicate(review.findings)
    criteria = evaluate_criteria(
        request.criteria,
        CriteriaContext(
            code=request.code,
            locale=request.locale,
            facts=review.facts,
            functions=review.functions,
            findings=findings,
            regex_search=first_regex_match,
            file_path=request.file_path,
            language=review.language,
        ),
    )
    # A failing test that points at a line of the file is a finding there, next to the code.
    findings = findings + test_failure_findings(criteria, request.file_path, request.locale)
    # Test criteria measured how much of the file their tests run: the snapshot's `test_coverage`.
    metrics = _metrics(review).model_copy(update={"test_coverage": tests_coverage(criteria)})
    findings = _celebrations(review, findings, metrics, criteria) + findings
    final_score = score(findings, criteria)
    verdict = outcome(findings, criteria, final_score, request.pass_threshold)
    return ReviewResult(
        outcome=verdict,
        passed=verdict is ReviewOutcome.PASSED,
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


def _basic_metrics(request: ReviewRequest, language: str) -> Metrics:
    return Metrics(
        language=language,
        lines_of_code=lines_of_code(request.code),
        total_lines=len(request.code.splitlines()),
    )


def _metrics(review: _Review) -> Metrics:
    complexities = [f.complexity for f in review.functions or [] if f.complexity is not None]
    worst = max(complexities, default=None)
    return _basic_metrics(review.request, review.language).model_copy(
        update={
            "complexity_rank": cc_rank(worst) if worst is not None else None,
            "max_complexity": worst,
            "maintainability_index": round(review.maintainability, 2) if review.maintainability is not None else None,
        }
    )


def _celebrations(
    review: _Review, findings: list[Finding], metrics: Metrics, criteria: list[CriterionResult]
) -> list[Finding]:
    locale, file = review.request.locale, review.request.file_path
    comments = [f for f in findings if f.category is not Category.LIMITS]
    parsed = review.facts is not None and review.facts.parsed
    praise: list[Finding] = []
    if parsed:
        message = text("praise.parses", locale, language=review.language, loc=metrics.lines_of_code)
        praise.append(normalize.celebration("praise-parses", message, file))
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
    if parsed and not any(f.category is Category.SECURITY for f in comments):
        message = text("praise.no-security", locale, analyzers=", ".join(security_ran))
        praise.append(normalize.celebration("praise-no-security", message, file))
    decided = [c for c in criteria if c.status is not CriterionStatus.NEEDS_HUMAN]
    met = sum(c.status is CriterionStatus.MET for c in decided)
    if met:
        message = text("praise.criteria", locale, met=met, total=len(decided))
        praise.append(normalize.celebration("praise-criteria", message, file))
    return praise
