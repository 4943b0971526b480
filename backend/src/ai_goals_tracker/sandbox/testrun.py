"""A goal's test module against a learner's file, in the jail: which tests passed, and coverage.

The learner's file is importable by its `file_path` stem (`src/cart.py` → `import cart`,
`src/cart.js` → `require('./cart')`). pytest runs with the server's own interpreter and libraries
(FastAPI's TestClient, pydantic and httpx work in tests), node:test with the `node` on the PATH.
At most `MAX_PARALLEL_RUNS` jails run at once in a process; more wait their turn.

A pytest run has two sides (docs/sandbox.md, "The boundary"): the goal's tests and their reporter in
one jail, the learner's module in another, joined by a socket. Only a reported pass of every test the
goal's module defines (`expected`, read from its source before anything runs) counts: a test that is
skipped, xfailed, xpassed, errored or missing from the report is not passed.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import re
import secrets
import sys
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import PurePosixPath
from typing import Literal

from ai_goals_tracker.sandbox.expected import pytest_expected_tests
from ai_goals_tracker.sandbox.expected_node import node_expected_tests
from ai_goals_tracker.sandbox.jail import (
    KILLED_BY_CPU_LIMIT,
    RUN_DIR,
    Jail,
    JailRun,
    LearnerProcess,
    SandboxUnavailable,
    node_runtime,
    python_executable,
    python_runtimes,
)

Framework = Literal["pytest", "node"]
Problem = Literal["timeout", "output", "not_run", "no_tests", "unavailable", "refused"]
# How a test that did not pass ended, beyond a plain failure.
NotPassed = Literal["skipped", "xfailed", "xpassed", "error", "missing"]
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
    # Why a test that is not `passed` did not pass, when it is more than a failed assertion.
    kind: NotPassed | None = None
    # The learner's line the failure points at (the deepest frame of the learner's file, or the
    # function the test called last).
    line: int | None = None


@dataclass(slots=True)
class TestRun:
    __test__ = False

    tests: list[TestResult] = field(default_factory=list)
    coverage: float | None = None
    # Why the run did not finish normally; `detail` says more (a collection error, the running test…).
    problem: Problem | None = None
    detail: str = ""
    seconds: float = 0.0
    # For a refused file: its name, and the suffix a renamed one would keep.
    refused_name: str = ""
    suffix: str = ""

    @property
    def failed(self) -> list[TestResult]:
        return [test for test in self.tests if test.status != "passed"]

    @property
    def passed(self) -> bool:
        return self.problem is None and bool(self.tests) and all(test.status == "passed" for test in self.tests)


def module_file(file_path: str, framework: Framework) -> str:
    """The name the learner's file gets in the jail: its own, so that its stem is what tests import."""
    name = PurePosixPath(file_path.replace("\\", "/")).name.lstrip(".") or "submission"
    suffix = ".py" if framework == "pytest" else ".js"
    return name if PurePosixPath(name).suffix in (".py", ".js", ".cjs", ".mjs") else f"{name}{suffix}"


def run_tests(jail: Jail, framework: Framework, test_code: str, code: str, file_path: str) -> TestRun:
    """Run `test_code` against `code` in the jail; raises SandboxUnavailable when there is no jail."""
    learner = module_file(file_path, framework)
    refusal = refused_name(file_path, learner, framework)
    if refusal is not None:
        name = PurePosixPath(file_path.replace("\\", "/")).name or learner
        name = "".join(char if char.isprintable() else "?" for char in name)[:80]
        return TestRun(problem="refused", detail=refusal, refused_name=name, suffix=PurePosixPath(learner).suffix)
    expected = expected_tests(framework, test_code)
    if expected is not None and not expected:
        return TestRun(problem="no_tests")
    marker = f"@aigt-{secrets.token_hex(8)}@"
    if framework == "pytest":
        outcome = _run_pytest(jail, test_code, code, learner, marker)
    else:
        outcome = _run_node(jail, test_code, code, learner, marker)
    return _reconcile(_read_report(outcome, marker), expected)


def _program(name: str) -> str:
    return resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def _run_pytest(jail: Jail, test_code: str, code: str, learner: str, marker: str) -> JailRun:
    stem = PurePosixPath(learner).stem
    tests = f"test_{stem}_goal.py"
    helper = f"{RUN_DIR}/{_JAILED_HELPER['pytest']}"
    argv = [python_executable(), "-I", "-B", helper, marker, stem, f"{RUN_DIR}/{tests}", f"{RUN_DIR}/{learner}"]
    # Plugins installed next to the server (its test tools) must not change how learners' tests run.
    env = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    bridge = _program("bridge.py")
    # The learner's source sits on the tests' side too, for `inspect.getsource` and tracebacks only:
    # `import stem` is answered by the learner's process (pytest_main.LearnerFinder), never by this file.
    files = {_JAILED_HELPER["pytest"]: _program("pytest_main.py"), ".aigt_bridge.py": bridge, tests: test_code}
    files[learner] = code
    their_side = LearnerProcess(
        argv=[python_executable(), "-I", "-B", f"{RUN_DIR}/.aigt_learner.py", f"{RUN_DIR}/{learner}"],
        files={".aigt_learner.py": _program("pytest_learner.py"), ".aigt_bridge.py": bridge, learner: code},
        environment={"PYTHONDONTWRITEBYTECODE": "1"},
    )
    with _parallel:
        return jail.run(argv, files, runtimes=python_runtimes(), environment=env, learner=their_side)


def _run_node(jail: Jail, test_code: str, code: str, learner: str, marker: str) -> JailRun:
    argv, runtimes, env, their_side = _node_command(learner, marker, test_code, code)
    with _parallel:
        return jail.run(argv, their_side.files, runtimes=runtimes, environment=env, learner=their_side.learner)


@dataclass(frozen=True, slots=True)
class _NodeSides:
    files: dict[str, str]  # the tests' side
    learner: LearnerProcess


def _node_command(
    learner: str, marker: str, test_code: str, code: str
) -> tuple[list[str], list[str], dict[str, str], _NodeSides]:
    """The tests' side (node:test, the reporter, the bridge and a stand-in module named like the
    learner's file) and the learner's side (its file, served by node_learner.js), see node_bridge.js."""
    node = node_runtime()
    if node is None:
        raise SandboxUnavailable("node is not installed on the server")
    executable, prefix = node
    stem = PurePosixPath(learner).stem
    tests = f"{stem}.goal.test.js"
    reporter = f"--test-reporter={RUN_DIR}/{_JAILED_HELPER['node']}"
    argv = [executable, reporter, "--test-reporter-destination=stdout", f"{RUN_DIR}/{tests}"]
    bridge = _program("node_bridge.js")
    files = {
        _JAILED_HELPER["node"]: _program("node_reporter.mjs"),
        ".aigt_bridge.js": bridge,
        tests: test_code,
        # `require('./stem')` in the tests gets this stand-in: the learner's module, through the socket.
        f"{stem}.js": "module.exports = require('./.aigt_bridge.js').learnerModule();\n",
    }
    their_side = LearnerProcess(
        argv=[executable, f"{RUN_DIR}/.aigt_learner.js", f"{RUN_DIR}/{learner}"],
        files={".aigt_learner.js": _program("node_learner.js"), ".aigt_bridge.js": bridge, learner: code},
        environment=_NODE_ENVIRONMENT,
    )
    return argv, [prefix], {"AIGT_REPORT_MARKER": marker, **_NODE_ENVIRONMENT}, _NodeSides(files, their_side)


# glibc gives each thread that allocates an arena of its own (64 MB of address space each): node's
# worker threads would spend a third of a process's address-space limit on them before any test runs.
_NODE_ENVIRONMENT = {"MALLOC_ARENA_MAX": "1"}


# Names the interpreter, pytest or node load on their own, or that configure them: a learner's file
# named so could act before, or instead of, the tests.
_HARNESS_NAMES = frozenset(
    {
        "conftest.py", "pytest.py", "sitecustomize.py", "usercustomize.py", "__init__.py", "__main__.py",
        "setup.py", "setup.cfg", "tox.ini", "pytest.ini", "pyproject.toml", "noxfile.py", "package.json",
        "package-lock.json", ".npmrc", ".noderc", "node.config.json", ".pythonrc.py",
    }
)  # fmt: skip


# Longer names, and names with control characters (a NUL), are no module's: refused, not tried.
_LONGEST_NAME = 100


def refused_name(file_path: str, learner: str, framework: Framework) -> str | None:
    """Why the learner's file cannot be tested under its name (`unusable`, `harness` or `shadows:MODULE`),
    or None."""
    if len(learner) > _LONGEST_NAME or not learner.isprintable():
        return "unusable"
    parts = PurePosixPath(file_path.replace("\\", "/")).parts
    names = {learner.lower(), (parts[-1] if parts else "").lower()}
    if (
        names & _HARNESS_NAMES
        or any(name.endswith(".pth") or name.startswith(("aigt", "_aigt", ".aigt")) for name in names)
        or "node_modules" in parts
    ):
        return "harness"
    stem = PurePosixPath(learner).stem
    if framework == "pytest" and stem in _shadowed_modules():
        return f"shadows:{stem}"
    return None


@functools.cache
def _shadowed_modules() -> frozenset[str]:
    """Top-level modules the tests' side has: the standard library's and every installed package's."""
    installed = {name for name in importlib.metadata.packages_distributions() if name.isidentifier()}
    return frozenset({*sys.stdlib_module_names, *installed, "pytest", "_pytest", "py", "pluggy", "coverage"})


def expected_tests(framework: Framework, test_code: str) -> list[str] | None:
    """The tests the goal's module defines, read from its source before anything runs."""
    if framework == "pytest":
        return pytest_expected_tests(test_code)
    return node_expected_tests(test_code)


def _reconcile(run: TestRun, expected: list[str] | None) -> TestRun:
    """Every expected test must be in the report: one that is not never ran, and is not passed."""
    if expected is None or run.problem is not None:
        return run
    # A pytest case ("test_x[1]") counts for its test; a node name may hold brackets of its own.
    reported = {test.name for test in run.tests} | {test.name.split("[", 1)[0] for test in run.tests}
    for name in expected:
        if name not in reported:
            run.tests.append(TestResult(name=name, status="failed", message=None, kind="missing"))
    return run


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
    line = event.get("line")
    kind: NotPassed | None = None
    if status in ("xfailed", "xpassed", "error"):
        kind = "xfailed" if status == "xfailed" else "xpassed" if status == "xpassed" else "error"
    elif status == "skipped":
        kind = "skipped"
    return TestResult(
        name=str(event.get("test")),
        status="passed" if status == "passed" else "skipped" if status == "skipped" else "failed",
        message=str(message) if message and status != "passed" else None,
        kind=kind,
        line=line if type(line) is int and line > 0 else None,
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
        if outcome.over_total:
            reason = "the run held more memory or processes in total than a run may, and was stopped"
        elif outcome.lost:
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
