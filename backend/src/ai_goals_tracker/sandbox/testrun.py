"""A goal's test module against a learner's file, in the jail: which tests passed, and coverage.

The learner's file is importable by its `file_path` stem (`src/cart.py` → `import cart`,
`src/cart.js` → `require('./cart')`). pytest runs with the server's own interpreter and libraries
(FastAPI's TestClient, pydantic and httpx work in tests), node:test with the `node` on the PATH.
At most `MAX_PARALLEL_RUNS` jails run at once in a process; more wait their turn.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import PurePosixPath
from typing import Literal

from ai_goals_tracker.sandbox.jail import (
    KILLED_BY_CPU_LIMIT,
    RUN_DIR,
    Jail,
    JailRun,
    SandboxUnavailable,
    node_runtime,
    python_executable,
    python_runtimes,
)

Framework = Literal["pytest", "node"]
Problem = Literal["timeout", "output", "not_run", "no_tests", "unavailable"]
MAX_PARALLEL_RUNS = 2
_PACKAGE = "ai_goals_tracker.sandbox"
_parallel = threading.BoundedSemaphore(MAX_PARALLEL_RUNS)
_JAILED_HELPER = {"pytest": ".aigt_pytest_main.py", "node": ".aigt_reporter.mjs"}


@dataclass(frozen=True, slots=True)
class TestResult:
    __test__ = False  # not a pytest test class, whatever its name says

    name: str
    status: Literal["passed", "failed", "skipped"]
    message: str | None = None


@dataclass(slots=True)
class TestRun:
    __test__ = False

    tests: list[TestResult] = field(default_factory=list)
    coverage: float | None = None
    # Why the run did not finish normally; `detail` says more (a collection error, the running test…).
    problem: Problem | None = None
    detail: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> list[TestResult]:
        return [test for test in self.tests if test.status == "failed"]

    @property
    def passed(self) -> bool:
        return self.problem is None and bool(self.tests) and not self.failed


def module_file(file_path: str, framework: Framework) -> str:
    """The name the learner's file gets in the jail: its own, so that its stem is what tests import."""
    name = PurePosixPath(file_path.replace("\\", "/")).name.lstrip(".") or "submission"
    suffix = ".py" if framework == "pytest" else ".js"
    return name if PurePosixPath(name).suffix in (".py", ".js", ".cjs", ".mjs") else f"{name}{suffix}"


def run_tests(jail: Jail, framework: Framework, test_code: str, code: str, file_path: str) -> TestRun:
    """Run `test_code` against `code` in the jail; raises SandboxUnavailable when there is no jail."""
    learner = module_file(file_path, framework)
    marker = f"@aigt-{secrets.token_hex(8)}@"
    if framework == "pytest":
        tests, argv, runtimes, env = _pytest_command(learner, marker)
    else:
        tests, argv, runtimes, env = _node_command(learner, marker)
    helper = "pytest_main.py" if framework == "pytest" else "node_reporter.mjs"
    files = {
        # The helper's name in the jail cannot be a learner's module name (those have no dot first).
        _JAILED_HELPER[framework]: resources.files(_PACKAGE).joinpath(helper).read_text(encoding="utf-8"),
        learner: code,
        tests: test_code,
    }
    with _parallel:
        outcome = jail.run(argv, files, runtimes=runtimes, environment=env)
    return _read_report(outcome, marker)


def _pytest_command(learner: str, marker: str) -> tuple[str, list[str], list[str], dict[str, str]]:
    tests = f"test_{PurePosixPath(learner).stem}_goal.py"
    argv = [python_executable(), "-I", "-B", f"{RUN_DIR}/{_JAILED_HELPER['pytest']}", marker, f"{RUN_DIR}/{learner}"]
    # Plugins installed next to the server (its test tools) must not change how learners' tests run.
    env = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    return tests, [*argv, f"{RUN_DIR}/{tests}"], python_runtimes(), env


def _node_command(learner: str, marker: str) -> tuple[str, list[str], list[str], dict[str, str]]:
    node = node_runtime()
    if node is None:
        raise SandboxUnavailable("node is not installed on the server")
    executable, prefix = node
    tests = f"{PurePosixPath(learner).stem}.goal.test.js"
    reporter = f"--test-reporter={RUN_DIR}/{_JAILED_HELPER['node']}"
    argv = [executable, reporter, "--test-reporter-destination=stdout"]
    return tests, [*argv, f"{RUN_DIR}/{tests}"], [prefix], {"AIGT_REPORT_MARKER": marker}


def _read_report(outcome: JailRun, marker: str) -> TestRun:
    run = TestRun(seconds=outcome.seconds)
    running: str | None = None
    finished = False
    for line in outcome.stdout.decode("utf-8", "replace").splitlines():
        if not line.startswith(marker):
            continue
        try:
            event = json.loads(line[len(marker) :])
        except ValueError:
            continue
        kind = event.get("event")
        if kind == "start":
            running = str(event.get("test"))
        elif kind == "test":
            running = None
            run.tests.append(_result(event))
        elif kind == "collection_error" and run.problem is None:
            run.problem, run.detail = "not_run", str(event.get("message") or "")
        elif kind == "coverage" and isinstance(event.get("value"), int | float):
            run.coverage = float(event["value"])
        elif kind == "done":
            finished = True
    _explain_abnormal_end(run, outcome, running, finished)
    return run


def _result(event: dict[str, object]) -> TestResult:
    status = event.get("status")
    message = event.get("message")
    return TestResult(
        name=str(event.get("test")),
        status=status if status in ("passed", "failed", "skipped") else "failed",
        message=str(message) if message else None,
    )


def _explain_abnormal_end(run: TestRun, outcome: JailRun, running: str | None, finished: bool) -> None:
    if outcome.timed_out or outcome.exit_code in KILLED_BY_CPU_LIMIT:
        run.problem, run.detail = "timeout", running or ""
        return
    if outcome.output_exceeded:
        run.problem, run.detail = "output", running or ""
        return
    if run.problem is not None:
        return
    error = _last_error_line(outcome.stderr.decode("utf-8", "replace"))
    if not (outcome.lost or finished) and running is None and not run.tests and outcome.exit_code == 0 and not error:
        # node starts its test runner only for a module that declares a test.
        run.problem = "no_tests"
    elif outcome.lost or not finished:
        # The process ended before the runner said it was done (a crash, an exit called by the code,
        # the warm jail ended under it): the test it was in failed, and the tests after it never ran.
        if outcome.lost:
            reason = "the sandbox stopped before the tests finished"
        else:
            reason = error or f"the test process ended early (exit code {outcome.exit_code})"
        if running is not None:
            run.tests.append(TestResult(name=running, status="failed", message=reason))
        else:
            run.problem, run.detail = "not_run", reason
    elif not run.tests:
        run.problem, run.detail = ("not_run", error) if error else ("no_tests", "")


def _last_error_line(lines: list[str] | str) -> str:
    """The line of a crash that names the error (node ends with its version banner, Python with it)."""
    if isinstance(lines, str):
        lines = lines.strip().splitlines()
    meaningful = [line.strip() for line in lines if line.strip()]
    errors = [line for line in meaningful if re.match(r"^[\w.]*(Error|Exception)\b", line)]
    chosen = errors[-1] if errors else (meaningful[-1] if meaningful else "")
    return chosen[:500]
