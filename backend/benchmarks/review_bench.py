"""Review latency for generated 50-, 200- and 500-line Python files, against ruff alone on the same files.

Target (DESIGN.md): p95 <= 1 s at 500 lines, offline.
"""

from __future__ import annotations

import statistics
import subprocess
import textwrap
import time
from collections.abc import Callable

from ai_goals_tracker.review import ReviewRequest, review_submission
from ai_goals_tracker.review.analyzers.ruff_runner import ruff_command
from ai_goals_tracker.review.sandbox import default_sandbox

SIZES = (50, 200, 500)
RUNS = 30
TARGET_P95_SECONDS = 1.0
CRITERIA: list[str | dict[str, object]] = [
    {"check": "defines", "name": "summarize_0"},
    {"check": "imports", "module": "statistics"},
    {"check": "max_complexity", "value": 10},
    "Each function explains itself",
]


def python_file(lines: int) -> str:
    """Plausible learner code of exactly `lines` lines: whole functions and classes, padded with blank lines."""
    out = ["import os", "import statistics", ""]
    index = 0
    while True:
        block = _learner_block(index)
        if len(out) + len(block) > lines:
            break
        out.extend(block)
        index += 1
    out.extend([""] * (lines - len(out)))
    return "\n".join(out) + "\n"


def _learner_block(index: int) -> list[str]:
    # Branches, a loop, a class, and a lint finding (`== None`) per block, as learners write.
    return textwrap.dedent(
        f'''
        def summarize_{index}(values, limit=10):
            """Mean of the values under limit, ignoring negatives."""
            kept = []
            for value in values:
                if value < 0:
                    continue
                elif value > limit:
                    break
                kept.append(value)
            if kept == None:
                return 0
            return statistics.mean(kept) if kept else 0


        class Counter{index}:
            def __init__(self):
                self.total = 0

            def add(self, amount):
                self.total += amount
                return self.total
        '''
    ).splitlines()


def _timings(action: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def _ruff_alone(code: str) -> None:
    subprocess.run(ruff_command("bench.py"), input=code, capture_output=True, text=True, check=True)


def run() -> str:
    """Markdown section with p50/p95 review latency per file size and the ratio to ruff alone."""
    default_sandbox().warm_up()
    rows = []
    p95_by_size = {}
    for size in SIZES:
        code = python_file(size)
        request = ReviewRequest(code=code, file_path=f"bench_{size}.py", criteria=CRITERIA, locale="en")
        review_submission(request)  # first call imports analyzers in the helpers
        review = _timings(lambda request=request: review_submission(request), RUNS)
        ruff = _timings(lambda code=code: _ruff_alone(code), RUNS)
        review_p95 = p95_by_size[size] = _p95(review)
        rows.append(
            f"| {size} | {statistics.median(review) * 1000:.1f} | {review_p95 * 1000:.1f} "
            f"| {statistics.median(ruff) * 1000:.1f} | {_p95(ruff) * 1000:.1f} "
            f"| {statistics.median(review) / statistics.median(ruff):.1f}× |"
        )
    largest_p95 = p95_by_size[max(SIZES)]
    verdict = "meets" if largest_p95 <= TARGET_P95_SECONDS else "MISSES"
    return "\n".join(
        [
            "## Code review latency (offline)",
            "",
            f"{RUNS} reviews per size (ast + ruff + radon + bandit + secrets + 4 criteria + feedback), "
            "warm analyzer helpers, against `ruff check` alone (learner rule selection) on the same file.",
            "",
            "| lines | review p50 (ms) | review p95 (ms) | ruff p50 (ms) | ruff p95 (ms) | p50 ratio |",
            "|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"{max(SIZES)}-line p95 = {largest_p95 * 1000:.0f} ms: {verdict} the target of "
            f"{TARGET_P95_SECONDS * 1000:.0f} ms.",
        ]
    )
