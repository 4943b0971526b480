"""Fail closed and bounded: whatever the learner submits, the review ends, and what it could not check
is never a pass."""

from __future__ import annotations

import asyncio
import os

import pytest

from ai_goals_tracker.review import (
    Locale,
    ReviewLimits,
    ReviewOutcome,
    ReviewRequest,
    ReviewResult,
    review_offline,
    review_submission,
)
from ai_goals_tracker.review.findings import deduplicate
from ai_goals_tracker.review.models import Category, Finding, FindingType, Severity
from ai_goals_tracker.review.sandbox import Sandbox, SandboxCrash, SandboxError, SandboxTimeout
from ai_goals_tracker.review.sandbox_worker import NICENESS
from tests.review import sandbox_targets

DANGER = "import os\n\n\ndef run(command):\n    os.system(command)\n    return eval(command)\n"


def huge_dict_literal(entries: int) -> str:
    body = ",\n".join(f'    "key_{n}": [{n}, {n * 2}, "value {n}"]' for n in range(entries))
    return "LOOKUP = {\n" + body + "\n}\n"


def review(code: str, file_path: str = "app.py", locale: Locale = "en") -> ReviewResult:
    request = ReviewRequest(code=code, file_path=file_path, locale=locale)
    return asyncio.run(review_offline(request, limits=ReviewLimits().scaled(_scale())))


def _scale() -> float:
    return float(os.environ.get("AIGT_REVIEW_TIME_SCALE", "1"))


@pytest.mark.parametrize(
    "prefix",
    [
        "x = " + "-" * 1_000 + "1\n",
        "-" * 1_000 + "\n",
        "x = " + "(" * 5_000 + "1" + ")" * 5_000 + "\n",
        "x = " + "not " * 3_000 + "True\n",
    ],
    ids=["unary-chain", "line-of-minus", "parentheses", "not-tower"],
)
def test_crafted_input_never_passes_dangerous_code(prefix: str) -> None:
    result = review(prefix + DANGER)
    assert result.outcome is not ReviewOutcome.PASSED
    assert "No security problems found" not in result.feedback


def test_file_with_too_many_lines_is_too_large_to_review_in_the_learners_language() -> None:
    result = review("x = 1\n" * 50_000, locale="es")
    assert result.outcome is ReviewOutcome.NOT_REVIEWED
    assert "demasiado grande para revisarlo" in (result.not_reviewed_reason or "")
    assert result.passed is False


def test_minified_line_is_not_reviewed() -> None:
    result = review("x = [" + "1," * 10_000 + "]\n" + DANGER)
    assert result.outcome is ReviewOutcome.NOT_REVIEWED
    assert "Line 1 is" in (result.not_reviewed_reason or "")


def test_review_overrunning_its_budget_is_not_reviewed_and_names_the_step() -> None:
    # bandit's parent-node line ranges make a 5,000-entry literal quadratic for it: a real slow analyzer.
    request = ReviewRequest(code=huge_dict_literal(5_000) + DANGER, file_path="data.py", locale="en")
    result = asyncio.run(review_offline(request, limits=ReviewLimits(review_seconds=1.0)))
    assert result.outcome is ReviewOutcome.NOT_REVIEWED
    assert "did not finish within the review's 1 s" in (result.not_reviewed_reason or "")


def test_unknown_language_is_not_reviewed_rather_than_passed() -> None:
    result = review("package main\nfunc main() { exec.Command(os.Args[1]).Run() }\n", file_path="main.go")
    assert result.outcome is ReviewOutcome.NOT_REVIEWED
    assert "`go`" in (result.not_reviewed_reason or "")


@pytest.mark.parametrize(
    ("file_path", "language"),
    [("notebook.ipynb", None), ("--help", None), ("app.txt", "text"), ("app.py", "markdown"), ("x", "python")],
)
def test_path_and_language_cannot_make_the_analyzers_skip_python(file_path: str, language: str | None) -> None:
    request = ReviewRequest(code=DANGER, file_path=file_path, language=language, locale="en")
    result = review_submission(request)
    assert result.outcome is ReviewOutcome.FAILED
    assert {"ruff", "bandit"} <= set(result.analyzers_run)
    assert any(f.start_line == 6 and f.severity is Severity.CRITICAL for f in result.findings)


@pytest.mark.parametrize(
    "suppressed",
    [
        DANGER.replace("os.system(command)", "os.system(command)  # noqa").replace(
            "eval(command)", "eval(command)  # nosec"
        ),
        "# ruff: noqa\n# flake8: noqa\n" + DANGER.replace("eval(command)", "eval(command)  # nosec B307"),
        DANGER.replace("eval(command)", "eval(command)  # noqa: S307  # nosec  # type: ignore"),
    ],
    ids=["line-noqa-nosec", "file-noqa", "combined"],
)
def test_suppression_comments_hide_nothing(suppressed: str) -> None:
    result = review_submission(ReviewRequest(code=suppressed, file_path="app.py", locale="en"))
    assert result.outcome is ReviewOutcome.FAILED
    blocking_lines = {f.start_line for f in result.findings if f.type is FindingType.ESSENTIAL}
    lines = suppressed.splitlines()
    dangerous = {number for number, line in enumerate(lines, 1) if "os.system(" in line or "eval(" in line}
    assert dangerous <= blocking_lines


def test_overlapping_analyzers_report_one_finding_per_defect() -> None:
    result = review_submission(ReviewRequest(code=DANGER, file_path="app.py", locale="en"))
    on_eval_line = [f for f in result.findings if f.start_line == 6 and f.category is Category.SECURITY]
    assert len(on_eval_line) == 1, on_eval_line


def test_deduplication_is_not_quadratic_in_the_number_of_findings() -> None:
    findings = [
        Finding(
            type=FindingType.ACTIONABLE,
            severity=Severity.MINOR,
            category=Category.STYLE,
            rule="F821",
            message=f"m{n}",
            file="a.py",
            start_line=n,
            analyzer="ruff",
        )
        for n in range(1, 50_001)
    ]
    # 50,000 findings: the old pairwise merge would compare 1.25 billion pairs; this must simply return.
    kept = deduplicate(findings + findings)
    assert len(kept) == 200
    assert [f.start_line for f in kept[:3]] == [1, 2, 3]


def test_helper_overrunning_its_time_is_killed_and_the_next_call_works(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxTimeout):
        sandbox.run(sandbox_targets.sleep_then_answer, 30, timeout=0.5)
    assert sandbox.run(sandbox_targets.sleep_then_answer, 0, timeout=60) == "awake"


def test_cancelling_a_review_kills_its_process_at_once(sandbox: Sandbox) -> None:
    async def cancel_midway() -> None:
        call = asyncio.create_task(sandbox.run_async(sandbox_targets.sleep_then_answer, 300, seconds=600))
        await asyncio.sleep(0.5)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call

    asyncio.run(cancel_midway())
    assert sandbox.run(sandbox_targets.sleep_then_answer, 0, timeout=60) == "awake"


def test_helper_process_dying_is_reported_and_replaced(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxCrash):
        sandbox.run(sandbox_targets.die, timeout=60)
    assert sandbox.run(sandbox_targets.sleep_then_answer, 0, timeout=60) == "awake"


def test_helper_memory_is_capped() -> None:
    small = Sandbox(max_helpers=1, memory_limit_bytes=512 * 1024 * 1024)
    try:
        with pytest.raises(SandboxError, match="MemoryError"):
            small.run(sandbox_targets.exhaust_memory, timeout=120)
        assert small.run(sandbox_targets.sleep_then_answer, 0, timeout=60) == "awake"
    finally:
        small.close()


def test_warmed_helpers_have_every_analyzer_loaded_before_the_first_review() -> None:
    from ai_goals_tracker.review.pipeline import _warm_up_in_helper

    pool = Sandbox(max_helpers=1)
    try:
        pool.warm_up(_warm_up_in_helper)
        loaded = set(pool.run(sandbox_targets.loaded_modules, timeout=60))
    finally:
        pool.close()
    assert {"bandit.core.manager", "radon.complexity", "tree_sitter_typescript", "tree_sitter_javascript"} <= loaded


def test_reviews_run_below_the_priority_of_the_requests_beside_them(sandbox: Sandbox) -> None:
    expected = min(19, os.nice(0) + NICENESS)
    assert sandbox.run(sandbox_targets.niceness, timeout=60) == expected
    assert sandbox.run(sandbox_targets.child_niceness, timeout=60) == expected
