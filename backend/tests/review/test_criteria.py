"""Structured criteria are judged from the parsed code; natural language waits for a person or the LLM."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ai_goals_tracker.review import ReviewLimits, ReviewOutcome, ReviewRequest, review_offline, review_submission
from ai_goals_tracker.review.models import CriterionStatus
from tests.review.corpus import review


def statuses(name: str, criteria: list[Any], **fields: Any) -> list[CriterionStatus]:
    return [result.status for result in review(name, criteria=criteria, **fields).criteria]


@pytest.mark.parametrize(
    ("criterion", "status"),
    [
        ({"check": "defines", "name": "login"}, CriterionStatus.MET),
        ({"check": "defines", "name": "login", "kind": "function"}, CriterionStatus.MET),
        ({"check": "defines", "name": "login", "kind": "class"}, CriterionStatus.NOT_MET),
        ({"check": "defines", "name": "logout"}, CriterionStatus.NOT_MET),
        ({"check": "imports", "module": "hmac"}, CriterionStatus.MET),
        ({"check": "imports", "module": "jwt"}, CriterionStatus.NOT_MET),
        ({"check": "regex", "pattern": r"compare_digest\("}, CriterionStatus.MET),
        ({"check": "regex", "pattern": r"==\s*expected", "expect": "no_match"}, CriterionStatus.MET),
        ({"check": "regex", "pattern": r"PBKDF2", "flags": "i"}, CriterionStatus.MET),
        ({"check": "regex", "pattern": r"md5"}, CriterionStatus.NOT_MET),
        ({"check": "max_complexity", "value": 5}, CriterionStatus.MET),
        ({"check": "max_complexity", "value": 1}, CriterionStatus.NOT_MET),
        ({"check": "no_findings", "severity": "minor"}, CriterionStatus.MET),
    ],
)
def test_structured_checks_on_python(criterion: dict[str, Any], status: CriterionStatus) -> None:
    assert statuses("correct_login.py", [criterion]) == [status]


def test_defines_in_python_matches_the_ast_not_a_comment() -> None:
    code = "# def login(): pass\nLOGIN = 1\n"
    result = review_submission(
        ReviewRequest(code=code, file_path="a.py", criteria=[{"check": "defines", "name": "login"}])
    )
    assert result.criteria[0].status is CriterionStatus.NOT_MET


@pytest.mark.parametrize(
    ("criterion", "status"),
    [
        ({"check": "defines", "name": "cartTotal"}, CriterionStatus.MET),
        ({"check": "defines", "name": "describeCart", "kind": "function"}, CriterionStatus.MET),
        ({"check": "imports", "module": "./format.js"}, CriterionStatus.MET),
        ({"check": "imports", "module": "lodash"}, CriterionStatus.NOT_MET),
        ({"check": "max_complexity", "value": 3}, CriterionStatus.MET),
        ({"check": "max_complexity", "value": 2}, CriterionStatus.NOT_MET),
    ],
)
def test_structured_checks_on_javascript(criterion: dict[str, Any], status: CriterionStatus) -> None:
    assert statuses("correct_cart.js", [criterion]) == [status]


def test_typescript_interfaces_and_imports() -> None:
    criteria = [{"check": "defines", "name": "Session"}, {"check": "imports", "module": "express"}]
    assert statuses("typed_service.ts", criteria) == [CriterionStatus.MET, CriterionStatus.MET]


def test_unknown_language_is_not_reviewed_so_no_criterion_is_judged() -> None:
    criteria = [{"check": "defines", "name": "main"}, {"check": "defines", "name": "helper"}]
    result = review("secrets_service.go", criteria=criteria)
    assert result.outcome is ReviewOutcome.NOT_REVIEWED
    assert result.criteria == []


def test_no_findings_fails_on_security_problem_and_names_the_line() -> None:
    result = review("sql_formatting.py", criteria=[{"check": "no_findings", "severity": "major"}])
    assert result.criteria[0].status is CriterionStatus.NOT_MET
    assert "6" in result.criteria[0].evidence


def test_structure_checks_fail_when_code_does_not_parse() -> None:
    result = review("syntax_error.py", criteria=[{"check": "defines", "name": "average"}])
    assert result.criteria[0].status is CriterionStatus.NOT_MET
    assert "syntax" in result.criteria[0].evidence


def test_natural_language_needs_a_human_offline_even_when_words_match() -> None:
    result = review("correct_login.py", criteria=["The login function uses hmac.compare_digest"])
    assert result.criteria[0].status is CriterionStatus.NEEDS_HUMAN
    assert result.criteria[0].kind == "natural_language"


@pytest.mark.parametrize(
    "criterion",
    [
        {"check": "teleport"},
        {"check": "defines"},
        {"check": "regex", "pattern": "(unclosed"},
        {"check": "max_complexity", "value": "lots"},
        {"check": "no_findings", "severity": "apocalyptic"},
    ],
)
def test_malformed_checks_wait_for_a_person_and_neither_fail_nor_pass_the_submission(
    criterion: dict[str, Any],
) -> None:
    result = review("correct_login.py", criteria=[criterion])
    assert result.criteria[0].status is CriterionStatus.NEEDS_HUMAN
    assert result.criteria[0].judged_by is None
    assert result.outcome is ReviewOutcome.AWAITING_JUDGEMENT
    assert not result.passed


def test_catastrophic_regex_fails_only_its_own_criterion() -> None:
    # A goal author's pattern that backtracks forever is stopped; its criterion waits for a person,
    # and every other criterion and finding of the review stands.
    code = "# " + "a" * 60 + "!\nimport os\nx = 1\n"
    catastrophic = {"check": "regex", "pattern": r"^# (a|aa)+$", "flags": "m"}
    request = ReviewRequest(
        code=code, file_path="notes.py", criteria=[catastrophic, {"check": "imports", "module": "os"}]
    )
    result = asyncio.run(review_offline(request, limits=ReviewLimits(review_seconds=60)))
    assert result.outcome is not ReviewOutcome.NOT_REVIEWED
    stopped, imports = result.criteria
    assert stopped.status is CriterionStatus.NEEDS_HUMAN
    assert "took longer than" in stopped.evidence
    assert imports.status is CriterionStatus.MET


def test_unmet_structured_criterion_fails_an_otherwise_clean_solution() -> None:
    result = review("correct_login.py", criteria=[{"check": "defines", "name": "logout"}])
    assert not result.passed
