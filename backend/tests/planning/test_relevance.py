"""Relevance on the labelled courses: what the planner offers offline, and in which language."""

from __future__ import annotations

import pytest
from benchmarks.calibrate_relevance import relevance_matrix, suggestions_at
from benchmarks.relevance_set import load_labelled, score

from ai_goals_tracker.ai.embeddings import OfflineEmbeddings
from ai_goals_tracker.config import OFFLINE_EMBEDDINGS_MODEL
from ai_goals_tracker.planning.relevance import (
    LANGUAGE_MISMATCH_PENALTY,
    adjustment,
    calibration,
    detect_locale,
    named_languages,
)
from ai_goals_tracker.planning.service import shortfall_notice
from ai_goals_tracker.search.catalog import load_catalog


def test_the_labelled_set_is_big_enough_and_bilingual() -> None:
    courses = load_labelled()
    assert len(courses) >= 40
    assert {course.language for course in courses} == {"es", "en"}
    outside = [course for course in courses if not course.in_catalog]
    assert len(outside) >= 8
    areas = {goal.area for goal in load_catalog()}
    assert all(course.accept <= areas for course in courses)


def test_the_course_language_is_detected_for_every_labelled_course() -> None:
    for course in load_labelled():
        assert detect_locale(f"{course.title}\n{course.description}") == course.language, course.title
    assert detect_locale("12345") is None


@pytest.mark.slow
def test_offline_suggestions_on_the_labelled_set_are_precise_and_honest() -> None:
    courses = load_labelled()
    threshold = calibration(OFFLINE_EMBEDDINGS_MODEL).threshold
    topics = suggestions_at(relevance_matrix(OfflineEmbeddings(), courses), threshold)
    scores = score(courses, topics)
    assert scores.precision >= 0.9
    assert scores.honest == 1.0, [c.title for c, t in zip(courses, topics, strict=True) if not c.in_catalog and t]
    # Honest does not mean silent: nearly every course the catalog covers gets fitting goals.
    assert scores.recall >= 0.8


def test_the_threshold_is_recorded_with_how_it_was_obtained() -> None:
    recorded = calibration(OFFLINE_EMBEDDINGS_MODEL)
    assert 0 < recorded.threshold < 1
    assert recorded.details["labelled_set"] == "backend/tests/planning/labelled_courses.json"
    assert recorded.details["courses"] == len(load_labelled())
    assert recorded.details["at_threshold"]["top3_precision"] >= 0.9
    assert "calibrate_relevance" in recorded.details["command"]
    # A model never calibrated borrows the offline model's value rather than offering everything.
    assert calibration("some-other-model").threshold == recorded.threshold


def test_a_course_naming_another_language_pushes_single_language_goals_down() -> None:
    by_key = {goal.key: goal for goal in load_catalog()}
    text = "Software Testing in Python\nUnit tests with pytest"
    languages = named_languages(text)
    assert languages == {"python"}
    go_tests = adjustment(by_key["go-table-driven-tests"], text, [], languages)
    pytest_goal = adjustment(by_key["pytest-unit-tests"], text, [], languages)
    # The Go goal shares the word "testing" (+0.04) but is written in another language.
    assert go_tests < 0
    assert pytest_goal - go_tests >= LANGUAGE_MISMATCH_PENALTY
    # SQL fits a course in any language.
    assert adjustment(by_key["sql-select-basics"], text, [], languages) == 0
    assert named_languages("Let's go to the market") == set()


@pytest.mark.parametrize(
    ("locale", "found", "asked", "start"),
    [
        ("en", 0, 5, "The offline catalog has no goals close enough to this course."),
        ("en", 2, 5, "Only 2 of the 5 goals you asked for fit this course"),
        ("es", 1, 3, "Solo 1 de los 3 objetivos que pediste encaja con este curso"),
        ("es", 2, 3, "Solo 2 de los 3 objetivos que pediste encajan con este curso"),
    ],
)
def test_the_shortfall_notice(locale: str, found: int, asked: int, start: str) -> None:
    notice = shortfall_notice(locale, found, asked)  # type: ignore[arg-type]
    assert notice is not None and notice.startswith(start)
    assert "LLM" in notice and "aigt goals create" in notice
    assert shortfall_notice(locale, asked, asked) is None  # type: ignore[arg-type]
