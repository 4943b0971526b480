"""The sample corpus: each file produces the findings a reviewer would point at, at the right lines."""

from __future__ import annotations

from typing import Any

import pytest

from ai_goals_tracker.review.models import FindingType, ReviewOutcome
from tests.review.corpus import expectations, review

CORPUS = expectations()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_sample_produces_its_findings(name: str) -> None:
    result = review(name)
    for expected in CORPUS[name]["findings"]:
        assert _matching(result.findings, expected), f"{name}: expected {expected}, got {result.findings}"


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_sample_verdict(name: str) -> None:
    assert review(name).passed is CORPUS[name]["passes"]


@pytest.mark.parametrize("name", ["correct_login.py", "correct_cart.js", "typed_service.ts"])
def test_clean_solutions_have_nothing_to_fix(name: str) -> None:
    result = review(name)
    assert [f for f in result.findings if f.type is not FindingType.CELEBRATORY] == []
    assert result.score >= 0.9


def test_several_analyzers_reporting_one_sql_injection_give_one_finding() -> None:
    result = review("sql_formatting.py")
    lines = [f.start_line for f in result.findings if f.category == "security"]
    assert sorted(lines) == [6, 11, 15]
    assert {"ruff", "bandit"} <= set(result.analyzers_run)


def test_syntax_error_skips_the_other_analyzers() -> None:
    result = review("syntax_error.py")
    assert result.analyzers_run == ["secrets", "ast"]
    assert "expected ':'" in result.findings[-1].message


def test_unknown_language_is_not_reviewed_but_its_leaked_secrets_are_told() -> None:
    result = review("secrets_service.go")
    assert result.outcome is ReviewOutcome.NOT_REVIEWED
    assert "`go`" in (result.not_reviewed_reason or "")
    assert result.metrics.language == "go"
    assert result.metrics.lines_of_code == 5
    assert [f.rule for f in result.findings] == ["secret-hardcoded-credential"]
    assert "Secret written in the code" in result.feedback


@pytest.mark.parametrize("name", sorted(name for name in CORPUS if CORPUS[name].get("not_reviewed")))
def test_languages_nothing_here_can_parse_are_not_reviewed(name: str) -> None:
    assert review(name).outcome is ReviewOutcome.NOT_REVIEWED


def test_secret_value_is_never_repeated_in_feedback() -> None:
    result = review("secrets_config.py")
    assert "hunter2hunter2" not in result.feedback
    assert "AKIAIOSFODNN7EXAMPLE" not in result.feedback


def test_metrics_for_python() -> None:
    result = review("complex_function.py")
    assert result.metrics.max_complexity == 18
    assert result.metrics.complexity_rank == "C"
    assert result.metrics.maintainability_index is not None
    assert 0 < result.metrics.maintainability_index <= 100


def _matching(findings: list[Any], expected: dict[str, Any]) -> bool:
    return any(
        finding.rule in expected["rules"]
        and finding.severity == expected["severity"]
        and finding.start_line == expected["line"]
        and finding.type == expected.get("type", finding.type)
        and finding.category == expected.get("category", finding.category)
        for finding in findings
    )
