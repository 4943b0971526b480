"""The cost of goals' tests: a review with a 10-test pytest criterion against the same review without
it; the test run alone from a warm jail against a cold one, in wall time and in the CPU the jailed
run spends; and the jail's start-up against a bare `python -c pass`, all measured in this run."""

from __future__ import annotations

import statistics
import subprocess
from importlib import resources

from ai_goals_tracker.review import ReviewRequest, review_submission
from ai_goals_tracker.review.sandbox import default_sandbox
from ai_goals_tracker.sandbox.jail import RUN_DIR, Jail, python_executable, python_runtimes
from ai_goals_tracker.sandbox.testrun import run_tests
from benchmarks.support import p95, timings
from benchmarks.targets import Section, Target

REVIEW_RUNS = 12
TESTED_REVIEW = "review with a 10-test goal module: p95"
TEST_RUNS = 12
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


# Runs the test program as the jail does, then says on stderr what the jailed process and the ones it
# waited for spent: from the interpreter's start in a cold jail, from the fork in a warm one.
MEASURED = """import resource, runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit:
    pass
spent = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
sys.stderr.write("cpu=%.4f" % sum(usage.ru_utime + usage.ru_stime for usage in spent))
"""


def _row(name: str, samples: list[float], baseline: list[float]) -> str:
    ratio = statistics.median(samples) / statistics.median(baseline)
    return f"| {name} | {statistics.median(samples) * 1000:.0f} | {p95(samples) * 1000:.0f} | {ratio:.2f}× |"


def _cpu(jail: Jail, runs: int) -> tuple[list[float], list[float]]:
    """The CPU seconds of `runs` jailed test runs: the program's own, and the whole run's as the warm
    jail counts it (its init and runner too; nothing for a cold jail, whose count escapes the server)."""
    helper = resources.files("ai_goals_tracker.sandbox").joinpath("pytest_main.py").read_text(encoding="utf-8")
    files = {".measured.py": MEASURED, ".aigt_pytest_main.py": helper, "cart.py": CART, "test_cart_goal.py": TESTS}
    # The tests' side alone (no module name: `import cart` finds the file beside the tests), so that a
    # cold jail, which cannot hold the learner's side, can be measured too.
    argv = [python_executable(), "-I", "-B", f"{RUN_DIR}/.measured.py", f"{RUN_DIR}/.aigt_pytest_main.py", "@m@"]
    argv += ["", f"{RUN_DIR}/test_cart_goal.py"]
    environment = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    program: list[float] = []
    whole: list[float] = []
    for _ in range(runs):
        outcome = jail.run(argv, files, runtimes=python_runtimes(), environment=environment)
        assert outcome.exit_code == 0 and outcome.warm == jail.warm, outcome
        program.append(float(outcome.stderr.decode().rsplit("cpu=", 1)[1]))
        if outcome.cpu_seconds is not None:
            whole.append(outcome.cpu_seconds)
    return program, whole


def run() -> Section:
    jail = Jail()
    status = jail.status()
    if not status.available:
        # Fail closed: no jail, no figure, a missed target.
        return Section(
            f"## Sandbox\n\nNot measured: {status.detail}.\n", [Target(TESTED_REVIEW, None, "at most", 1.0, unit="s")]
        )
    default_sandbox().warm_up()
    tests = {"check": "tests", "framework": "pytest", "code": TESTS}
    plain = ReviewRequest(code=CART, file_path="cart.py", criteria=CRITERIA, locale="en")
    tested = plain.model_copy(update={"criteria": [*CRITERIA, tests]})
    result = review_submission(tested)
    ran = result.criteria[-1].tests or []
    assert len(ran) == 10 and all(t.status == "passed" for t in ran), result.criteria[-1]
    without = timings(lambda: review_submission(plain), REVIEW_RUNS)
    with_tests = timings(lambda: review_submission(tested), REVIEW_RUNS)

    cold = Jail(warm=False)
    # The warm jail of this process starts here, once: the timed runs are forked from it.
    run_tests(jail, "pytest", TESTS, CART, "cart.py")
    warm_runs = timings(lambda: run_tests(jail, "pytest", TESTS, CART, "cart.py"), TEST_RUNS)
    cold_cpu, _ = _cpu(cold, TEST_RUNS)
    warm_cpu, warm_whole = _cpu(jail, TEST_RUNS)

    python = python_executable()
    bare = timings(lambda: subprocess.run([python, "-I", "-c", "pass"], check=True), START_RUNS)
    passing = [python, "-I", "-c", "pass"]
    cold_start = timings(lambda: cold.run(passing, {}, runtimes=python_runtimes()), START_RUNS)
    warm_start = timings(lambda: jail.run(passing, {}, runtimes=python_runtimes()), START_RUNS)
    markdown = "\n".join(
        [
            "## Sandbox: goals' tests",
            "",
            f"{status.detail}. Review of a 15-line file with 2 structured criteria, without and with a 10-test "
            f"pytest criterion ({REVIEW_RUNS} runs each; target: p95 ≤ 1 s); the test run alone, the tests and the "
            f"learner's module in two jails forked from a warm one, joined by a socket ({TEST_RUNS} runs); jail "
            f"start-up ({START_RUNS} runs): `python -I -c pass` in a cold jail (bwrap + prlimit, + setpriv as root)"
            " and forked from a warm one (own namespaces, /tmp, limits, then exec): against the bare command.",
            "",
            "| measured | p50 (ms) | p95 (ms) | p50 ratio to its baseline |",
            "|---|---:|---:|---:|",
            _row("review without tests (baseline)", without, without),
            _row("review with 10 pytest tests (warm jail)", with_tests, without),
            _row("10 pytest tests across the boundary", warm_runs, without),
            _row("`python -I -c pass` (baseline)", bare, bare),
            _row("same in a cold jail", cold_start, bare),
            _row("same from a warm jail", warm_start, bare),
            "",
            "CPU of one jailed run of the 10 tests on the tests' side alone (the module beside the tests), measured "
            "by the jailed program's own `getrusage` (itself and the processes it waited for); for the warm jail "
            "also the whole run as its runner counts it (the run's reaper and its set-up too).",
            "",
            "| jailed CPU | p50 (ms) | p95 (ms) | p50 ratio to the cold jail |",
            "|---|---:|---:|---:|",
            _row("cold jail: the program (baseline)", cold_cpu, cold_cpu),
            _row("warm jail: the program", warm_cpu, cold_cpu),
            _row("warm jail: the whole run", warm_whole, cold_cpu),
            "",
            f"Coverage of cart.py by those tests: {result.metrics.test_coverage}.",
        ]
    )
    return Section(markdown, [Target(TESTED_REVIEW, p95(with_tests), "at most", 1.0, unit="s")])
