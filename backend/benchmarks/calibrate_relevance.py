"""Calibrate the planner's relevance threshold on the labelled courses and record it.

    cd backend && ../.venv/bin/python -m benchmarks.calibrate_relevance

Scores every catalog goal against every labelled course exactly as the planner does
(`planning.relevance.relevance_scores` with the configured embedding model), then tries thresholds
from 0.20 to 0.80 in steps of 0.005. A threshold qualifies when the top-3 suggestions above it
reach the target precision (0.9); among those, the one with the most accepted suggestions plus
honest answers (recall + honest share) wins, the lowest on ties, so the planner offers as much as
it can without filler. The chosen value, the rule and the figures it achieved are written to
`src/ai_goals_tracker/search/catalog/relevance.json` under the model's name.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ai_goals_tracker.ai.embeddings import EmbeddingProvider, get_embedding_provider
from ai_goals_tracker.config import Settings
from ai_goals_tracker.models import Course
from ai_goals_tracker.planning.relevance import relevance_scores
from ai_goals_tracker.planning.service import course_query
from ai_goals_tracker.search.catalog import load_catalog
from ai_goals_tracker.search.catalog_match import Matrix, catalog_vectors
from benchmarks.relevance_set import LABELLED, TOP, LabelledCourse, Scores, load_labelled, score

TARGET_PRECISION = 0.9
GRID = np.round(np.arange(0.20, 0.80, 0.005), 3)
ABOUT = (
    "The planner's relevance threshold for each embedding model, written with its provenance by "
    "benchmarks/calibrate_relevance.py; a model without an entry uses the offline model's."
)
RELEVANCE_FILE = Path(str(resources.files("ai_goals_tracker.search.catalog").joinpath("relevance.json")))


def course_of(labelled: LabelledCourse) -> Course:
    """An unsaved course, so the query text is built by the planner's own code."""
    return Course(title=labelled.title, description=labelled.description, meta={})


def relevance_matrix(provider: EmbeddingProvider, courses: list[LabelledCourse]) -> Matrix:
    vectors = asyncio.run(catalog_vectors(provider))
    queries = [course_query(course_of(course), None) for course in courses]
    embedded = provider.embed_sync(queries)
    return np.stack(
        [relevance_scores(vectors, vector, query, []) for vector, query in zip(embedded, queries, strict=True)]
    )


def suggestions_at(relevance: Matrix, threshold: float) -> list[list[str]]:
    """The topics of the top-3 goals at or above `threshold`, per course."""
    goals = load_catalog()
    topics: list[list[str]] = []
    for row in relevance:
        order = [int(i) for i in np.argsort(-row)[:TOP] if row[int(i)] >= threshold]
        topics.append([goals[i].area for i in order])
    return topics


def choose(relevance: Matrix, courses: list[LabelledCourse]) -> tuple[float, Scores]:
    best: tuple[float, Scores] | None = None
    for threshold in GRID:
        scores = score(courses, suggestions_at(relevance, float(threshold)))
        if scores.precision < TARGET_PRECISION:
            continue
        if best is None or scores.recall + scores.honest > best[1].recall + best[1].honest:
            best = (float(threshold), scores)
    if best is None:
        raise SystemExit(f"no threshold reaches a top-{TOP} precision of {TARGET_PRECISION}")
    return best


def entry(model: str, threshold: float, scores: Scores, courses: list[LabelledCourse]) -> dict[str, Any]:
    return {
        "threshold": threshold,
        "calibrated": datetime.now(UTC).date().isoformat(),
        "command": "cd backend && ../.venv/bin/python -m benchmarks.calibrate_relevance",
        "labelled_set": str(LABELLED.relative_to(LABELLED.parents[3])),
        "courses": len(courses),
        "out_of_catalog_courses": sum(not course.in_catalog for course in courses),
        "catalog_goals": len(load_catalog()),
        "rule": f"top-{TOP} precision >= {TARGET_PRECISION}; then max recall + honest share; lowest on ties",
        "at_threshold": {
            "top3_precision": round(scores.precision, 3),
            "out_of_catalog_answered_honestly": round(scores.honest, 3),
            "top3_recall": round(scores.recall, 3),
        },
        "model": model,
    }


def main() -> None:
    provider = get_embedding_provider(Settings())
    courses = load_labelled()
    relevance = relevance_matrix(provider, courses)
    threshold, scores = choose(relevance, courses)
    data = json.loads(RELEVANCE_FILE.read_text(encoding="utf-8")) if RELEVANCE_FILE.exists() else {}
    data.setdefault("about", ABOUT)
    data.setdefault("models", {})[provider.model] = entry(provider.model, threshold, scores, courses)
    RELEVANCE_FILE.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"{provider.model}: threshold {threshold} — top-{TOP} precision {scores.precision:.3f}, "
        f"out-of-catalog answered honestly {scores.honest:.2f}, recall {scores.recall:.2f} "
        f"({len(courses)} labelled courses) → {RELEVANCE_FILE}"
    )


if __name__ == "__main__":
    main()
