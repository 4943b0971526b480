"""Pathological input is capped by size and time: the review always ends, and says what it skipped."""

from __future__ import annotations

import time

import pytest

from ai_goals_tracker.review import ReviewLimits, ReviewRequest, review_submission
from ai_goals_tracker.review.models import Category
from ai_goals_tracker.review.sandbox import Sandbox, SandboxCrash, SandboxError, SandboxTimeout
from tests.review import sandbox_targets


def huge_dict_literal(entries: int) -> str:
    body = ",\n".join(f'    "key_{n}": [{n}, {n * 2}, "value {n}"]' for n in range(entries))
    return "LOOKUP = {\n" + body + "\n}\n"


def test_five_megabyte_literal_is_capped_and_reported() -> None:
    code = 'password = "hunter2hunter2"\n' + huge_dict_literal(160_000)
    assert len(code) > 5_000_000
    started = time.perf_counter()
    result = review_submission(ReviewRequest(code=code, file_path="data.py", locale="en"))
    # A guard against a hang (minutes), not a timing measurement: that is `make bench`'s job.
    assert time.perf_counter() - started < 60
    rules = {f.rule for f in result.findings}
    assert "too-large" in rules
    assert "secret-hardcoded-credential" in rules  # secrets are still scanned
    assert result.metrics.lines_of_code > 160_000
    assert "only checked for size and secrets" in result.feedback
    assert "No security problems" not in result.feedback


def test_literal_just_under_the_cap_is_fully_analyzed_in_bounded_time() -> None:
    code = huge_dict_literal(5_000)
    assert 200_000 < len(code.encode()) < ReviewLimits().max_analyzed_bytes
    started = time.perf_counter()
    # The production limits, not the test suite's stretched ones: radon would need minutes on this
    # literal, and its 2 s limit cuts it off while the rest still reports.
    result = review_submission(ReviewRequest(code=code, file_path="data.py"), limits=ReviewLimits())
    assert time.perf_counter() - started < 60
    assert "ast" in result.analyzers_run and "ruff" in result.analyzers_run
    assert "radon-unavailable" in {f.rule for f in result.findings}


@pytest.mark.parametrize(
    "code",
    [
        "x = " + "(" * 5_000 + "1" + ")" * 5_000 + "\n",
        "x = " + " + ".join(["1"] * 60_000) + "\n",
        "x = " + "-" * 100_000 + "1\n",
    ],
    ids=["parentheses", "long-chain", "unary-tower"],
)
def test_deeply_nested_expressions_do_not_crash_the_review(code: str) -> None:
    limits = ReviewLimits(parse_seconds=2, metrics_seconds=2, bandit_seconds=2, ruff_seconds=5)
    started = time.perf_counter()
    result = review_submission(ReviewRequest(code=code, file_path="deep.py"), limits=limits)
    assert time.perf_counter() - started < 60
    assert result.findings, "the learner is told something: a syntax error or a skipped analyzer"
    assert any(
        f.category in (Category.SYNTAX, Category.LIMITS) or f.rule.startswith(("praise", "B", "S"))
        for f in result.findings
    )


def test_analyzer_overrunning_its_time_is_killed_and_the_next_call_works(sandbox: Sandbox) -> None:
    started = time.perf_counter()
    with pytest.raises(SandboxTimeout):
        sandbox.run(sandbox_targets.sleep_then_answer, 30, timeout=0.5)
    assert time.perf_counter() - started < 5
    assert sandbox.run(sandbox_targets.sleep_then_answer, 0, timeout=10) == "awake"


def test_analyzer_process_dying_is_reported_and_replaced(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxCrash):
        sandbox.run(sandbox_targets.die, timeout=10)
    assert sandbox.run(sandbox_targets.sleep_then_answer, 0, timeout=10) == "awake"


def test_analyzer_memory_is_capped() -> None:
    small = Sandbox(max_helpers=1, memory_limit_bytes=512 * 1024 * 1024)
    try:
        with pytest.raises(SandboxError, match="MemoryError"):
            small.run(sandbox_targets.exhaust_memory, timeout=20)
        assert small.run(sandbox_targets.sleep_then_answer, 0, timeout=10) == "awake"
    finally:
        small.close()


def test_timed_out_analyzer_degrades_to_an_informative_finding() -> None:
    limits = ReviewLimits(bandit_seconds=0.000_001)
    code = "def f(a):\n    return a + 1\n"
    result = review_submission(ReviewRequest(code=code, file_path="f.py", locale="en"), limits=limits)
    skipped = [f for f in result.findings if f.category is Category.LIMITS]
    assert [f.rule for f in skipped] == ["bandit-unavailable"]
    assert "bandit" not in result.analyzers_run
    assert "The bandit check could not finish" in result.feedback
