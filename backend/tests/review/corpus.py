"""The sample corpus under samples/ and a shortcut to review one of its files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ai_goals_tracker.review.models import ReviewRequest, ReviewResult
from ai_goals_tracker.review.pipeline import review_submission

SAMPLES = Path(__file__).parent / "samples"


def sample_code(name: str) -> str:
    # Samples carry a .txt suffix so that the repository's own linters leave the broken ones alone.
    return (SAMPLES / f"{name}.txt").read_text(encoding="utf-8")


def expectations() -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = json.loads((SAMPLES / "expectations.json").read_text(encoding="utf-8"))
    return loaded


def review(name: str, **fields: Any) -> ReviewResult:
    return review_submission(ReviewRequest(code=sample_code(name), file_path=name, **fields))
