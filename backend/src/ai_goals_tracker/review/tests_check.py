"""The `tests` criterion: the goal's test module run against the submission in the sandbox.

`met` when every test passes; `not_met` when one fails, none is defined, or the run could not finish
(a collection error, the time or output limit); `needs_human` when the sandbox is not available or
the tests are for another language. Evidence names each failing test with its assertion message
as written, framed in the learner's language; every test's outcome travels with the result.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from ai_goals_tracker.config import get_settings
from ai_goals_tracker.criteria import Tests
from ai_goals_tracker.review.i18n import text
from ai_goals_tracker.review.models import (
    Category,
    CriterionResult,
    CriterionStatus,
    Finding,
    FindingType,
    Locale,
    Severity,
    TestOutcome,
)
from ai_goals_tracker.sandbox.jail import Jail, JailLimits, SandboxUnavailable
from ai_goals_tracker.sandbox.testrun import TestResult, TestRun, run_tests

TestRunner = Callable[[Tests, str, str], TestRun]
"""(criterion, code, file_path) -> the run; raises SandboxUnavailable when there is no sandbox."""

_LANGUAGE_OF = {"pytest": "python", "node": "javascript"}
_LISTED_FAILURES = 5
_MESSAGE_CHARS = 160


@functools.cache
def default_jail() -> Jail:
    """The jail the settings describe; the data folder is never visible inside it."""
    settings = get_settings()
    limits = JailLimits(
        wall_seconds=settings.tests_seconds,
        cpu_seconds=max(1, int(settings.tests_seconds)),
        total_memory_bytes=settings.tests_memory_mb * 1024 * 1024,
        total_processes=settings.tests_processes,
    )
    return Jail(bwrap=settings.sandbox_bwrap, limits=limits, hidden=(str(settings.home),))


def run_in_default_jail(criterion: Tests, code: str, file_path: str) -> TestRun:
    return run_tests(default_jail(), criterion.framework, criterion.code, code, file_path)


def judge_tests(
    criterion: Tests, code: str, file_path: str, language: str, locale: Locale, runner: TestRunner
) -> dict[str, Any]:
    """The fields of the criterion's result: status, evidence and, when the tests ran, each test."""
    expected = _LANGUAGE_OF[criterion.framework]
    if language != expected:
        evidence = text(
            "evidence.tests-wrong-language", locale, framework=criterion.framework, expected=expected, language=language
        )
        return {"status": CriterionStatus.NEEDS_HUMAN, "evidence": evidence}
    try:
        run = runner(criterion, code, file_path)
    except SandboxUnavailable as exc:
        return {
            "status": CriterionStatus.NEEDS_HUMAN,
            "evidence": text("evidence.sandbox-unavailable", locale, reason=exc),
        }
    status = CriterionStatus.MET if run.passed else CriterionStatus.NOT_MET
    return {
        "status": status,
        "evidence": _evidence(run, locale),
        "tests": [
            TestOutcome(name=t.name, status=t.status, message=_outcome_message(t, locale), line=t.line)
            for t in run.tests
        ],
        "coverage": run.coverage,
    }


def _outcome_message(test: TestResult, locale: Locale) -> str | None:
    """The assertion's words, or why a test that was not a plain failure does not count as a pass."""
    if test.kind in ("skipped", "xfailed", "xpassed", "error", "missing"):
        reason = text(f"evidence.tests-not-passed.{test.kind}", locale)
        return f"{reason}: {test.message}" if test.message and test.kind != "skipped" else reason
    return test.message


def _evidence(run: TestRun, locale: Locale) -> str:
    if run.problem == "refused":
        reason, _, module = run.detail.partition(":")
        if reason == "shadows":
            explained = text("evidence.tests-refused-name.shadows", locale, module=module)
        elif reason == "unusable":
            explained = text("evidence.tests-refused-name.unusable", locale)
        else:
            explained = text("evidence.tests-refused-name.harness", locale)
        return text("evidence.tests-refused-name", locale, name=run.refused_name, reason=explained, suffix=run.suffix)
    if run.problem == "timeout":
        running = f"`{run.detail}`" if run.detail else text("evidence.tests-timeout-import", locale)
        return text("evidence.tests-timeout", locale, seconds=round(run.seconds), test=running)
    if run.problem == "output":
        return text("evidence.tests-output", locale, limit=default_jail().limits.output_bytes // 1024)
    if run.problem in ("not_run", "unavailable"):
        return text("evidence.tests-not-run", locale, reason=run.detail or "?")
    if run.problem == "no_tests" or not run.tests:
        return text("evidence.tests-none", locale)
    failed = run.failed
    if not failed:
        return text("evidence.tests-passed", locale, total=len(run.tests))
    details = []
    for test in failed[:_LISTED_FAILURES]:
        message = _outcome_message(test, locale)
        details.append(f"`{test.name}` ({_short(message)})" if message else f"`{test.name}`")
    if len(failed) > _LISTED_FAILURES:
        details.append(text("evidence.tests-more", locale, count=len(failed) - _LISTED_FAILURES))
    if all(test.kind is None for test in failed):
        return text(
            "evidence.tests-failed", locale, failed=len(failed), total=len(run.tests), details="; ".join(details)
        )
    return text(
        "evidence.tests-not-passed", locale, count=len(failed), total=len(run.tests), details="; ".join(details)
    )


def test_failure_findings(results: Sequence[CriterionResult], file_path: str, locale: Locale) -> list[Finding]:
    """Each failing test that points at a line of the learner's file, as a finding on that line."""
    findings: list[Finding] = []
    for result in results:
        for test in result.tests or []:
            if test.status != "failed" or test.line is None:
                continue
            findings.append(
                Finding(
                    type=FindingType.ACTIONABLE,
                    severity=Severity.MAJOR,
                    category=Category.BUG,
                    rule="test-failed",
                    message=text("finding.test-failed", locale, test=test.name, message=_short(test.message) or "?"),
                    file=file_path,
                    start_line=test.line,
                    end_line=test.line,
                    suggestion=text("finding.test-failed.hint", locale),
                    analyzer="tests",
                )
            )
    return findings


def _short(message: str | None) -> str:
    """The assertion's own words: pytest's `+ where …` explanation lines are left out."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    kept = [line for line in lines if not line.startswith(("+", "where "))][:2]
    joined = " / ".join(kept)
    return joined if len(joined) <= _MESSAGE_CHARS else joined[: _MESSAGE_CHARS - 1] + "…"


def tests_coverage(results: Sequence[CriterionResult]) -> float | None:
    """The lowest line coverage among the review's test criteria that ran (the seed's `test_coverage`)."""
    measured = [result.coverage for result in results if result.coverage is not None]
    return min(measured) if measured else None
