"""Every project rule's own examples, from rule_catalog.json: the flawed one is reported, the look-alike is not.

A correct look-alike of a blocking rule must pass the whole review: a false fail on correct code is the
worst thing the review can do to a learner.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from ai_goals_tracker.review.models import ReviewRequest, ReviewResult
from ai_goals_tracker.review.pipeline import review_submission
from ai_goals_tracker.review.rule_catalog import catalog_key, rule_text
from ai_goals_tracker.review.scoring import blocking_findings


def _catalog() -> dict[str, dict[str, Any]]:
    source = resources.files("ai_goals_tracker.review").joinpath("rule_catalog.json")
    loaded: dict[str, dict[str, Any]] = json.loads(source.read_text(encoding="utf-8"))
    return loaded


EXAMPLES = [
    pytest.param(key, example, id=f"{key}:{example['file']}")
    for key, entry in _catalog().items()
    for example in entry.get("examples", [])
]


def _review(code: str, file: str) -> ReviewResult:
    return review_submission(ReviewRequest(code=code, file_path=file, locale="es"))


def _rules(result: ReviewResult) -> set[str]:
    return {catalog_key(finding.rule) for finding in result.findings}


@pytest.mark.parametrize(("key", "example"), EXAMPLES)
def test_the_flawed_example_is_reported(key: str, example: dict[str, str]) -> None:
    result = _review(example["flawed"], example["file"])
    entry = rule_text(key)
    assert entry is not None
    if key == "hardcoded-secret":
        key = "secret-hardcoded-credential"
    assert key in _rules(result), [(f.rule, f.start_line) for f in result.findings]
    if entry.type == "essential" or entry.severity in ("critical", "major"):
        assert not result.passed


@pytest.mark.parametrize(("key", "example"), EXAMPLES)
def test_the_correct_look_alike_is_not(key: str, example: dict[str, str]) -> None:
    result = _review(example["correct"], example["file"])
    reported = (
        _rules(result) | {"hardcoded-secret"} if "secret-hardcoded-credential" in _rules(result) else _rules(result)
    )
    assert key not in reported
    assert blocking_findings(result.findings) == [], [(f.rule, f.start_line) for f in result.findings]


def test_every_security_rule_of_the_project_has_a_cwe_and_examples() -> None:
    project = {key: entry for key, entry in _catalog().items() if not key.startswith(("sec-", "PL"))}
    security = {key: entry for key, entry in project.items() if entry["category"] == "security"}
    assert all(entry.get("cwe", "").startswith("CWE-") for entry in security.values())
    with_examples = [key for key, entry in security.items() if entry.get("examples")]
    assert len(with_examples) >= 25
