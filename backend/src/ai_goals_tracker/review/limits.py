"""Caps that keep one review bounded in time and memory whatever the learner submits."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ai_goals_tracker.config import get_settings


@dataclass(frozen=True, slots=True)
class ReviewLimits:
    # Same as the API's upload cap. A bigger file, or one with more lines, is "too large to review":
    # it gets no verdict rather than a partial one.
    max_analyzed_bytes: int = 256 * 1024
    max_analyzed_lines: int = 10_000
    # Lines longer than this are not code a person wrote (minified bundles, data dumps).
    max_line_chars: int = 5_000
    # A 500-line file takes well under a second in all; only pathological input gets near these.
    # The whole review runs in a helper process that is killed when `review_seconds` is spent.
    review_seconds: float = 20.0
    ruff_seconds: float = 10.0
    sandbox_memory_bytes: int = 1536 * 1024 * 1024
    max_comments_per_severity: int = 3

    def scaled(self, factor: float) -> ReviewLimits:
        """Every time limit multiplied by `factor` (a slow or crowded machine), the rest unchanged."""
        return replace(self, review_seconds=self.review_seconds * factor, ruff_seconds=self.ruff_seconds * factor)


# AIGT_REVIEW_TIME_SCALE stretches the limits where the analyzers share a crowded machine.
DEFAULT_LIMITS = ReviewLimits().scaled(get_settings().review_time_scale)
