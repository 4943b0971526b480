"""The cost of goals' tests: a review with a 10-test pytest criterion against the same review without
it, and the jail's start-up against a bare `python -c pass`, all measured in this run."""

from __future__ import annotations

import statistics
import subprocess

from ai_goals_tracker.review import ReviewRequest, review_submission
from ai_goals_tracker.review.sandbox import default_sandbox
from ai_goals_tracker.sandbox.jail import Jail, python_executable, python_runtimes
from benchmarks.support import p95, timings

REVIEW_RUNS = 12
START_RUNS = 20

CART = '''"""A shopping cart: prices in cents."""


def total(prices: list[int], discount: float = 0.0) -> int:
    subtotal = sum(prices)
    return round(subtotal * (1 - discount))


def most_expensive(prices: list[int]) -> int | None:
    return max(prices) if prices else None


def count(prices: list[int]) -> int:
    return len(prices)
'''

TESTS = (
    "import cart\n"
    + "".join(f"\n\ndef test_total_{n}():\n    assert cart.total([{n}, {n}]) == {2 * n}\n" for n in range(8))
    + (
        "\n\ndef test_most_expensive():\n    assert cart.most_expensive([3, 9, 4]) == 9\n"
        "\n\ndef test_count():\n    assert cart.count([1, 2]) == 2\n"
    )
)
CRITERIA: list[str | dict[str, object]] = [
    {"check": "defines", "name": "total"},
    {"check": "max_complexity", "value": 10},
]


def _row(name: str, samples: list[float], baseline: list[float]) -> str:
    ratio = statistics.median(samples) / statistics.median(baseline)
    return f"| {name} | {statistics.median(samples) * 1000:.0f} | {p95(samples) * 1000:.0f} | {ratio:.1f}× |"


def run() -> str:
    jail = Jail()
    status = jail.status()
    if not status.available:
        return f"## Sandbox\n\nNot measured: {status.detail}.\n"
    default_sandbox().warm_up()
    tests = {"check": "tests", "framework": "pytest", "code": TESTS}
    plain = ReviewRequest(code=CART, file_path="cart.py", criteria=CRITERIA, locale="en")
    tested = plain.model_copy(update={"criteria": [*CRITERIA, tests]})
    result = review_submission(tested)
    ran = result.criteria[-1].tests or []
    assert len(ran) == 10 and all(t.status == "passed" for t in ran), result.criteria[-1]
    without = timings(lambda: review_submission(plain), REVIEW_RUNS)
    with_tests = timings(lambda: review_submission(tested), REVIEW_RUNS)

    python = python_executable()
    bare = timings(lambda: subprocess.run([python, "-I", "-c", "pass"], check=True), START_RUNS)
    jailed = timings(lambda: jail.run([python, "-I", "-c", "pass"], {}, runtimes=python_runtimes()), START_RUNS)
    return "\n".join(
        [
            "## Sandbox: goals' tests",
            "",
            f"{status.detail}. Review of a 15-line file with 2 structured criteria, without and with a 10-test "
            f"pytest criterion ({REVIEW_RUNS} runs each); jail start-up ({START_RUNS} runs): bwrap + prlimit "
            "(+ setpriv as root) + `python -I -c pass`, against the bare `python -I -c pass`.",
            "",
            "| measured | p50 (ms) | p95 (ms) | p50 ratio to its baseline |",
            "|---|---:|---:|---:|",
            _row("review without tests (baseline)", without, without),
            _row("review with 10 pytest tests", with_tests, without),
            _row("`python -I -c pass` (baseline)", bare, bare),
            _row("same in the jail", jailed, bare),
            "",
            f"Coverage of cart.py by those tests: {result.metrics.test_coverage}.",
        ]
    )
