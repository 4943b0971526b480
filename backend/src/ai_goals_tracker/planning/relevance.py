"""How relevant each catalog goal is to a course, and the threshold below which it is not offered.

A goal's relevance is the cosine similarity between the course (title, description, technologies,
focus) and the goal's topic text in its closer language, adjusted by two signals a sentence encoder
weighs poorly: technologies the course names that the goal uses (a bonus), and a programming
language the course names that differs from the one the goal is written in (a penalty: a Python
testing course does not want Go's table-driven tests). The threshold is calibrated per embedding
model on a labelled set of courses by `benchmarks/calibrate_relevance.py`; the value and how it
was obtained live in `search/catalog/relevance.json`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ai_goals_tracker.config import OFFLINE_EMBEDDINGS_MODEL
from ai_goals_tracker.search.catalog import CatalogGoal, Locale
from ai_goals_tracker.search.catalog_match import CatalogVectors, Matrix

TECHNOLOGY_BONUS = 0.04
MAX_TECHNOLOGY_BONUS = 0.12
LANGUAGE_MISMATCH_PENALTY = 0.15

# The programming languages a course can name, with the words that name them. Case matters for Go
# and Java, whose names are also ordinary words ("go", "java" as coffee).
_LANGUAGE_NAMES: dict[str, re.Pattern[str]] = {
    "python": re.compile(r"(?i)\b(python|pandas|django|flask|fastapi|pytest|scikit-learn|jupyter|numpy)\b"),
    "javascript": re.compile(r"(?i)\b(javascript|typescript|node\.?js|react|npm)\b"),
    "go": re.compile(r"\bGo\b|(?i:\bgolang\b)"),
    "rust": re.compile(r"(?i)\b(rust|cargo)\b"),
    "java": re.compile(r"\bJava\b|(?i:\bspring boot\b|\bjunit\b)"),
}
# The family of each submission language; languages not listed (SQL, YAML, Markdown…) fit any course.
_GOAL_FAMILY = {
    "python": "python",
    "javascript": "javascript",
    "typescript": "javascript",
    "go": "go",
    "rust": "rust",
    "java": "java",
}


@dataclass(frozen=True)
class Calibration:
    model: str
    threshold: float
    details: dict[str, Any]


@lru_cache(maxsize=1)
def _calibrations() -> dict[str, dict[str, Any]]:
    text = resources.files("ai_goals_tracker.search.catalog").joinpath("relevance.json").read_text("utf-8")
    models: dict[str, dict[str, Any]] = json.loads(text)["models"]
    return models


def calibration(model: str) -> Calibration:
    """The calibrated threshold for `model`; a model never calibrated borrows the offline model's."""
    models = _calibrations()
    chosen = model if model in models else OFFLINE_EMBEDDINGS_MODEL
    entry = models[chosen]
    return Calibration(model=chosen, threshold=float(entry["threshold"]), details=entry)


def named_languages(text: str) -> set[str]:
    return {language for language, pattern in _LANGUAGE_NAMES.items() if pattern.search(text)}


def _mentions(text: str, technology: str) -> bool:
    return re.search(r"(?<![\w.])" + re.escape(technology.lower()) + r"(?!\w)", text) is not None


def adjustment(goal: CatalogGoal, course_text: str, technologies: Iterable[str], languages: set[str]) -> float:
    """What the course's named technologies and programming languages add to the goal's similarity."""
    named = {tech.lower() for tech in technologies}
    lowered = course_text.lower()
    shared = sum(1 for tech in goal.technologies if tech.lower() in named or _mentions(lowered, tech))
    bonus = min(shared * TECHNOLOGY_BONUS, MAX_TECHNOLOGY_BONUS)
    family = _GOAL_FAMILY.get(goal.language)
    if languages and family is not None and family not in languages:
        bonus -= LANGUAGE_MISMATCH_PENALTY
    return bonus


# The learner's language when they have not chosen one: what the course is written in. Words that
# are frequent in one language and rare in the other, plus Spanish-only letters and punctuation.
_SPANISH = frozenset(
    (
        "de",
        "la",
        "el",
        "los",
        "las",
        "del",
        "y",
        "en",
        "con",
        "para",
        "por",
        "una",
        "un",
        "es",
        "que",
        "se",
        "al",
        "su",
        "sus",
        "como",
        "más",
        "desde",
        "cero",
        "curso",
        "aprende",
        "aprender",
        "introducción",
        "programación",
        "datos",
        "diseño",
        "bases",
        "sistemas",
        "pruebas",
    )
)
_ENGLISH = frozenset(
    (
        "the",
        "of",
        "and",
        "to",
        "in",
        "with",
        "for",
        "a",
        "an",
        "is",
        "your",
        "from",
        "by",
        "on",
        "how",
        "build",
        "learn",
        "learning",
        "course",
        "introduction",
        "programming",
        "data",
        "design",
        "systems",
        "testing",
    )
)
_SPANISH_LETTERS = re.compile(r"[ñáéíóúü¿¡]", re.IGNORECASE)


def detect_locale(text: str) -> Locale | None:
    """`es` or `en` when the text says which, else None."""
    words = re.findall(r"[a-záéíóúüñ]+", text.lower())
    spanish = sum(word in _SPANISH for word in words) + 2 * len(_SPANISH_LETTERS.findall(text))
    english = sum(word in _ENGLISH for word in words)
    if spanish == english:
        return None
    return "es" if spanish > english else "en"


def relevance_scores(
    vectors: CatalogVectors, query: Sequence[float], course_text: str, technologies: Iterable[str]
) -> Matrix:
    """Each catalog goal's relevance to the course: comparable with the calibrated threshold."""
    languages = named_languages(course_text)
    named = list(technologies)
    adjustments = np.array(
        [adjustment(goal, course_text, named, languages) for goal in vectors.goals], dtype=np.float32
    )
    result: Matrix = vectors.relevance(query) + adjustments
    return result
