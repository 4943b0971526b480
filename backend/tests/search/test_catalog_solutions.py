"""Every catalog test module passes against the goal's reference solution.

A goal's tests are what an accepted suggestion is judged by, so each must be passable: the
reference solution is written out under its `file_path`, next to the test module, exactly as the
sandbox lays out a submission. These are our own files, so a plain subprocess runs them; all
Python goals share one pytest process and all JavaScript goals one `node --test`, which keeps the
check to a few seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ai_goals_tracker.sandbox.jail import Jail, JailLimits
from ai_goals_tracker.sandbox.testrun import TestRun, run_tests
from ai_goals_tracker.search.catalog import CatalogGoal, load_catalog

pytestmark = pytest.mark.slow


def _tested(framework: str, suffixes: tuple[str, ...]) -> list[CatalogGoal]:
    return [
        goal
        for goal in load_catalog()
        if goal.tests is not None
        and goal.solution is not None
        and goal.tests.framework == framework
        and goal.solution.file_path.endswith(suffixes)
    ]


def _lay_out(root: Path, goal: CatalogGoal, test_name: str) -> Path:
    """The goal's folder: its reference solution and its test module, as a submission would be."""
    assert goal.tests is not None and goal.solution is not None
    folder = root / goal.key
    folder.mkdir()
    (folder / goal.solution.file_path).write_text(goal.solution.code, encoding="utf-8")
    test_file = folder / test_name
    test_file.write_text(goal.tests.code, encoding="utf-8")
    return test_file


def _summary(completed: subprocess.CompletedProcess[str]) -> str:
    return (completed.stdout + completed.stderr)[-6000:]


def test_python_goal_modules_have_distinct_names() -> None:
    # One pytest process imports every solution: two goals sharing a module name would test each other's code.
    modules = [goal.solution.module for goal in _tested("pytest", (".py",)) if goal.solution is not None]
    assert len(modules) == len(set(modules)), sorted(modules)


def test_every_pytest_module_passes_against_its_reference_solution(tmp_path: Path) -> None:
    goals = _tested("pytest", (".py",))
    assert goals
    files = [_lay_out(tmp_path, goal, f"test_catalog_{goal.key.replace('-', '_')}.py") for goal in goals]
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *map(str, files)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, _summary(completed)
    assert " passed" in completed.stdout and "skipped" not in completed.stdout, _summary(completed)


def test_every_pytest_module_passes_through_the_sandbox_boundary() -> None:
    """As a review runs them: the tests in one jail, the reference solution in another, across the socket."""
    goals = _tested("pytest", (".py",))

    def run(goal: CatalogGoal) -> tuple[str, TestRun]:
        assert goal.tests is not None and goal.solution is not None
        jail = Jail(limits=JailLimits(wall_seconds=120, cpu_seconds=120))
        return goal.key, run_tests(jail, "pytest", goal.tests.code, goal.solution.code, goal.solution.file_path)

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(pool.map(run, goals))
    failing = {
        key: (run.problem, run.detail, [(t.name, t.message) for t in run.tests if t.status != "passed"])
        for key, run in runs.items()
        if not run.passed
    }
    assert failing == {}


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the JavaScript and TypeScript goal tests cannot run here")
    return node


def _node_runs_typescript(node: str) -> bool:
    probe = subprocess.run(
        [node, "-p", "Boolean(process.features.typescript)"], capture_output=True, text=True, check=False
    )
    return probe.stdout.strip() == "true"


# The extension's TypeScript compiler, present once `npm ci` has run in vscode-extension/.
TYPESCRIPT = Path(__file__).resolve().parents[3] / "vscode-extension" / "node_modules" / "typescript"
TRANSPILE = (
    "const ts = require(process.argv[1]); const fs = require('fs');"
    "for (const file of process.argv.slice(2)) {"
    "  const out = ts.transpileModule(fs.readFileSync(file, 'utf8'),"
    "    { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });"
    "  fs.writeFileSync(file.replace(/\\.ts$/, '.js'), out.outputText); }"
)


def _run_node_tests(node: str, test_files: list[Path], cwd: Path) -> None:
    assert test_files
    completed = subprocess.run(
        [node, "--test", *map(str, test_files)], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, _summary(completed)
    assert "# fail 0" in completed.stdout, _summary(completed)


def test_every_javascript_module_passes_against_its_reference_solution(tmp_path: Path) -> None:
    node = _node()
    goals = _tested("node", (".js", ".cjs"))
    _run_node_tests(node, [_lay_out(tmp_path, goal, "catalog.test.js") for goal in goals], tmp_path)


def test_every_typescript_module_passes_against_its_reference_solution(tmp_path: Path) -> None:
    """Natively where node strips types; elsewhere each solution goes through TypeScript's transpiler first."""
    node = _node()
    goals = _tested("node", (".ts",))
    test_files = [_lay_out(tmp_path, goal, "catalog.test.js") for goal in goals]
    if not _node_runs_typescript(node):
        if not TYPESCRIPT.is_dir():
            pytest.skip(
                "this node cannot load TypeScript (Node >= 22.18 can) and vscode-extension/node_modules "
                "has no typescript to transpile with (run npm ci there)"
            )
        sources = [tmp_path / goal.key / goal.solution.file_path for goal in goals if goal.solution is not None]
        subprocess.run([node, "-e", TRANSPILE, str(TYPESCRIPT), *map(str, sources)], check=True)
        for source in sources:
            source.unlink()  # so require() finds the transpiled .js
    _run_node_tests(node, test_files, tmp_path)
