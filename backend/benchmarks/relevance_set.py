"""The labelled courses (tests/planning/labelled_courses.json) and how suggestions are scored on them.

Each course lists the catalog topics a fair mentor would accept for it; an empty list marks a
course the catalog does not cover, for which the honest answer is no goal at all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "planning" / "labelled_courses.json"
TOP = 3


@dataclass(frozen=True)
class LabelledCourse:
    title: str
    description: str
    language: str
    accept: frozenset[str]

    @property
    def in_catalog(self) -> bool:
        return bool(self.accept)


def load_labelled() -> list[LabelledCourse]:
    raw = json.loads(LABELLED.read_text(encoding="utf-8"))["courses"]
    return [
        LabelledCourse(course["title"], course["description"], course["language"], frozenset(course["accept"]))
        for course in raw
    ]


@dataclass(frozen=True)
class Scores:
    precision: float
    """Share of the top-3 suggestions (over every course) whose topic the mentor accepts."""
    honest: float
    """Share of out-of-catalog courses that got no suggestion at all."""
    recall: float
    """Accepted suggestions among the 3 each in-catalog course could have had."""
    suggested: int


def score(courses: Sequence[LabelledCourse], suggested_topics: Sequence[Sequence[str]]) -> Scores:
    """`suggested_topics[i]`: the topics of the goals suggested to course i, best first."""
    relevant = total = honest = outside = covered = inside = 0
    for course, topics in zip(courses, suggested_topics, strict=True):
        top = list(topics)[:TOP]
        hits = sum(topic in course.accept for topic in top)
        relevant += hits
        total += len(top)
        if course.in_catalog:
            inside += 1
            covered += hits
        else:
            outside += 1
            honest += not top
    return Scores(
        precision=relevant / total if total else 1.0,
        honest=honest / outside if outside else 1.0,
        recall=covered / (TOP * inside) if inside else 1.0,
        suggested=total,
    )
