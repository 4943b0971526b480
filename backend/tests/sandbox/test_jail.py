"""The jail itself: what a program inside can see and do, and the limits that stop it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ai_goals_tracker.criteria import parse
from ai_goals_tracker.review.criteria import CriteriaContext, evaluate_criteria
from ai_goals_tracker.review.tests_check import run_in_default_jail
from ai_goals_tracker.sandbox.jail import Jail, JailLimits, SandboxUnavailable, python_executable, python_runtimes
from ai_goals_tracker.sandbox.testrun import run_tests

pytestmark = pytest.mark.slow

PYTHON = python_executable()


def run_python(jail: Jail, code: str) -> tuple[int | None, str, str]:
    outcome = jail.run([PYTHON, "-I", "-c", code], {}, runtimes=python_runtimes())
    return outcome.exit_code, outcome.stdout.decode(), outcome.stderr.decode()


def test_the_program_runs_unprivileged_in_its_own_namespaces_with_only_the_runtime_visible() -> None:
    code = (
        "import os, socket\n"
        "print(os.getuid() != 0, os.getpid(), sorted(os.listdir('/')))\n"
        "print(sorted(socket.if_nameindex()))\n"
        "print(os.listdir('/tmp/run'))\n"
    )
    exit_code, stdout, stderr = run_python(Jail(), code)
    assert exit_code == 0, stderr
    unprivileged, network, files = stdout.splitlines()
    # PID 1 is bwrap's reaper, so the program is PID 2 of a namespace of its own.
    assert unprivileged.startswith("True 2 ")
    assert "'home'" not in unprivileged and "'etc'" not in unprivileged and "'var'" not in unprivileged
    assert network == "[(1, 'lo')]"
    assert files == "[]"


def test_files_are_given_read_only_and_tmp_is_private_and_writable(tmp_path: Path) -> None:
    jail = Jail()
    marker = tmp_path / "from-the-host.txt"
    marker.write_text("host")
    code = (
        "import os\n"
        "print(open('/tmp/run/given.txt').read())\n"
        "open('/tmp/scratch.txt', 'w').write('mine')\n"
        f"print(os.path.exists({str(marker)!r}))\n"
        "try:\n    open('/tmp/run/given.txt', 'w')\nexcept OSError as exc:\n    print(type(exc).__name__)\n"
    )
    outcome = jail.run([PYTHON, "-I", "-c", code], {"given.txt": "hello"}, runtimes=python_runtimes())
    assert outcome.stdout.decode().splitlines() == ["hello", "False", "PermissionError"]
    assert not Path("/tmp/scratch.txt").exists()  # noqa: S108  (what the program wrote stays inside)


def test_a_data_folder_under_a_visible_runtime_is_hidden(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    home = runtime / "aigt-home"
    home.mkdir(parents=True)
    (home / "secret_key").write_text("s3cret")
    jail = Jail(hidden=(str(home),))
    code = f"import os\nprint(os.path.isdir({str(runtime)!r}))\nopen({str(home / 'secret_key')!r}).read()"
    outcome = jail.run([PYTHON, "-I", "-c", code], {}, runtimes=[*python_runtimes(), str(runtime)])
    assert outcome.stdout.decode().strip() == "True"
    assert "PermissionError" in outcome.stderr.decode() or "FileNotFoundError" in outcome.stderr.decode()
    assert "s3cret" not in outcome.stdout.decode() + outcome.stderr.decode()


def test_memory_processes_and_output_are_capped() -> None:
    limits = JailLimits(memory_bytes=512 * 1024 * 1024, processes=16, output_bytes=64 * 1024)
    jail = Jail(limits=limits)
    _, _, stderr = run_python(jail, "blob = bytearray(1024 * 1024 * 1024)")
    assert "MemoryError" in stderr

    forks = (
        "import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n"
        "            time.sleep(30)\n        n += 1\nexcept OSError:\n    print(n)\n"
    )
    exit_code, stdout, _ = run_python(jail, forks)
    assert exit_code == 0 and 0 < int(stdout) < 16

    flood = jail.run([PYTHON, "-I", "-c", "while True: print('x' * 1000)"], {}, runtimes=python_runtimes())
    assert flood.output_exceeded and flood.exit_code is None
    assert len(flood.stdout) <= limits.output_bytes


def test_wall_time_ends_a_program_that_sleeps_and_every_process_it_started() -> None:
    jail = Jail(limits=JailLimits(wall_seconds=3))
    code = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(600)\ntime.sleep(600)"
    outcome = jail.run([PYTHON, "-I", "-c", code], {}, runtimes=python_runtimes())
    assert outcome.timed_out and outcome.exit_code is None
    sleepers = [
        entry.name
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _cmdline(entry).endswith(b"time.sleep(600)")
    ]
    assert sleepers == []


def _cmdline(entry: Path) -> bytes:
    try:
        return (entry / "cmdline").read_bytes().rstrip(b"\0")
    except OSError:
        return b""


def test_without_bubblewrap_nothing_runs_and_test_criteria_need_a_person(tmp_path: Path) -> None:
    missing = Jail(bwrap=str(tmp_path / "no-bwrap"))
    assert not missing.status().available
    assert "sandbox not available" in missing.status().detail
    witness = tmp_path / "ran"
    with pytest.raises(SandboxUnavailable):
        missing.run([PYTHON, "-c", f"open({str(witness)!r}, 'w')"], {})
    with pytest.raises(SandboxUnavailable):
        run_tests(missing, "pytest", "def test_x():\n    assert True\n", "x = 1\n", "x.py")
    assert not witness.exists()

    criterion = {"check": "tests", "framework": "pytest", "code": "import x\n\ndef test_x():\n    assert x.X\n"}
    [result] = evaluate_criteria(
        [criterion],
        CriteriaContext(
            code="X = 1\n",
            locale="en",
            facts=None,
            functions=None,
            findings=[],
            regex_search=lambda *_: None,
            file_path="x.py",
            language="python",
            run_tests=lambda check, code, path: run_tests(missing, check.framework, check.code, code, path),
        ),
    )
    assert result.status == "needs_human"
    assert result.evidence.startswith("The tests were not run: sandbox not available:")
    assert result.tests is None


def test_the_default_jail_runs_a_criterion_as_the_review_does() -> None:
    criterion = parse(
        {"check": "tests", "framework": "pytest", "code": "import m\n\ndef test_m():\n    assert m.M == 2\n"}
    )
    run = run_in_default_jail(criterion, "M = 1\n", "pkg/m.py")  # type: ignore[arg-type]
    assert [(t.name, t.status) for t in run.tests] == [("test_m", "failed")]
    assert run.tests[0].message is not None and "assert 1 == 2" in run.tests[0].message
    assert run.coverage == 1.0
    assert os.geteuid() == 0 or run.tests  # runs the same unprivileged


def test_a_run_that_exits_in_the_middle_fails_the_test_it_was_in() -> None:
    tests = (
        "import m\nimport os\n\ndef test_a():\n    assert m.X\n\n"
        "def test_b():\n    os._exit(0)\n\ndef test_c():\n    pass\n"
    )
    run = run_tests(Jail(), "pytest", tests, "X = 1\n", "m.py")
    # test_c never ran: it is in the goal's module but not in the report, so it is not passed either.
    assert [(t.name, t.status) for t in run.tests] == [("test_a", "passed"), ("test_b", "failed"), ("test_c", "failed")]
    assert run.tests[2].kind == "missing"
    assert run.tests[1].message == "the test process ended early (exit code 0)"
    assert not run.passed

    nothing = run_tests(Jail(), "node", "const x = require('./m');\n", "module.exports = {};\n", "m.js")
    assert (nothing.problem, nothing.tests, nothing.passed) == ("no_tests", [], False)


def test_tests_that_flood_the_output_are_stopped_at_the_limit() -> None:
    jail = Jail(limits=JailLimits(output_bytes=64 * 1024))
    tests = (
        "const test = require('node:test');\n"
        "test('noisy', async () => {\n"
        "  for (;;) { console.log('x'.repeat(1000)); await new Promise((resolve) => setImmediate(resolve)); }\n"
        "});\n"
    )
    run = run_tests(jail, "node", tests, "module.exports = {};\n", "m.js")
    assert run.problem == "output"
    assert not run.passed
