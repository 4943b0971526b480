"""Caps that keep one review bounded in time and memory whatever the learner submits."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ai_goals_tracker.config import get_settings


@dataclass(frozen=True, slots=True)
class ReviewLimits:
    # Same as the API's upload cap: anything bigger is not parsed at all, only scanned for secrets.
    max_analyzed_bytes: int = 256 * 1024
    # Secret scanning is linear, so it may look further than the parsers, but not forever.
    max_scanned_bytes: int = 2 * 1024 * 1024
    # A 500-line file takes milliseconds per analyzer; only pathological input gets near these.
    # (radon needs minutes on a 250 KB dict literal, bandit seconds.)
    parse_seconds: float = 2.0
    ruff_seconds: float = 5.0
    metrics_seconds: float = 2.0
    bandit_seconds: float = 2.0
    criteria_seconds: float = 1.0
    sandbox_memory_bytes: int = 1536 * 1024 * 1024
    max_comments_per_severity: int = 3

    def scaled(self, factor: float) -> ReviewLimits:
        """Every time limit multiplied by `factor` (a slow or crowded machine), the rest unchanged."""
        return replace(
            self,
            parse_seconds=self.parse_seconds * factor,
            ruff_seconds=self.ruff_seconds * factor,
            metrics_seconds=self.metrics_seconds * factor,
            bandit_seconds=self.bandit_seconds * factor,
            criteria_seconds=self.criteria_seconds * factor,
        )


# AIGT_REVIEW_TIME_SCALE stretches the limits where the analyzers share a crowded machine.
DEFAULT_LIMITS = ReviewLimits().scaled(get_settings().review_time_scale)
