"""Runs forked from a warm jail: each one as separate from the next as two cold jails are."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from ai_goals_tracker.sandbox import zygote
from ai_goals_tracker.sandbox.jail import (
    RUN_DIR,
    Jail,
    JailLimits,
    JailRun,
    python_executable,
    python_runtimes,
)
from ai_goals_tracker.sandbox.testrun import TestRun, run_tests
from tests.sandbox import sandbox_uids_of

pytestmark = pytest.mark.slow

PYTHON = python_executable()

LEAVE_TRACES = """import os
import time


def test_leaves_traces():
    with open("/tmp/left-by-the-last-run", "w") as handle:
        handle.write("secret of the last run")
    if os.path.isdir("/dev/shm"):
        with open("/dev/shm/left-by-the-last-run", "w") as handle:
            handle.write("secret of the last run")
    if os.fork() == 0:
        os.setsid()
        time.sleep(600)
    assert True
"""

LOOK_AROUND = """import json, os
processes = sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
shm = sorted(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else []
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
capabilities = {name: int(status[name], 16) for name in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}
try:
    open("/written-to-the-root", "w")
    root = "writable"
except OSError as exc:
    root = type(exc).__name__
print(json.dumps({
    "processes": processes, "tmp": sorted(os.listdir("/tmp")), "shm": shm, "capabilities": capabilities,
    "no_new_privs": status["NoNewPrivs"].strip(), "uid": os.getuid(), "root": root, "pid": os.getpid(),
}))
"""


def look_around(jail: Jail) -> dict[str, object]:
    """What a Python script run as `python -I -B script` sees from inside its run."""
    import json

    outcome = jail.run([PYTHON, "-I", "-B", f"{RUN_DIR}/look.py"], {"look.py": LOOK_AROUND}, runtimes=python_runtimes())
    assert outcome.warm and outcome.exit_code == 0, outcome.stderr.decode()
    seen: dict[str, object] = json.loads(outcome.stdout)
    return seen


def sleepers_on_the_host() -> list[str]:
    """Processes still alive from this process's runs (the suite's other workers run jails of their own)."""
    own_uids = sandbox_uids_of(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        uid = int(status.split("\nUid:")[1].split()[0])
        if uid in own_uids or b"test_leaves_traces" in _cmdline(entry):
            found.append(entry.name)
    return found


def _cmdline(entry: Path) -> bytes:
    try:
        return (entry / "cmdline").read_bytes()
    except OSError:
        return b""


def runtime_folders_under_tmp() -> set[str]:
    """What /tmp shows besides the run's files: the top folders of the interpreter's runtimes that lie
    under /tmp (a checkout there), which a jail binds read-only as a cold jail does."""
    tmp = Path("/tmp")  # noqa: S108  (the jail's)
    runtimes = [Path(runtime).resolve() for runtime in python_runtimes()]
    return {runtime.relative_to(tmp).parts[0] for runtime in runtimes if runtime.is_relative_to(tmp)}


def test_a_run_sees_nothing_of_the_run_before_it_nor_of_the_warm_jail() -> None:
    jail = Jail()
    first = run_tests(jail, "pytest", LEAVE_TRACES.replace("import os", "import os\nimport traces"), "", "traces.py")
    assert [(t.name, t.status) for t in first.tests] == [("test_leaves_traces", "passed")]

    seen = look_around(jail)
    # Its own PID namespace: the run's reaper (1) and the program (2), nothing left by the last run,
    # no zygote; a fresh /tmp holding only this run's files, a fresh /dev/shm, a read-only root.
    assert seen["processes"] == [1, 2] and seen["pid"] == 2
    assert seen["tmp"] == sorted({"run", *runtime_folders_under_tmp()})
    assert seen["shm"] == []
    assert seen["root"] in ("PermissionError", "OSError")
    assert seen["capabilities"] == {"CapInh": 0, "CapPrm": 0, "CapEff": 0, "CapBnd": 0, "CapAmb": 0}
    assert seen["no_new_privs"] == "1"
    assert os.geteuid() != 0 or seen["uid"] != 0
    # The learner's sleeping child ended with its run, on the host too.
    assert sleepers_on_the_host() == []


def test_the_rlimits_of_a_cold_jail_hold_in_a_warm_run() -> None:
    limits = JailLimits()
    code = (
        "import resource\n"
        "names = ('RLIMIT_CPU', 'RLIMIT_AS', 'RLIMIT_NPROC', 'RLIMIT_FSIZE', 'RLIMIT_NOFILE', 'RLIMIT_CORE')\n"
        "print([resource.getrlimit(getattr(resource, name)) for name in names])\n"
    )
    jail = Jail(limits=limits)
    files = {"limits.py": code}
    outcome = jail.run([PYTHON, "-I", "-B", f"{RUN_DIR}/limits.py"], files, runtimes=python_runtimes())
    assert outcome.warm, outcome.stderr.decode()
    expected = [
        (limits.cpu_seconds, limits.cpu_seconds + 1),
        (limits.memory_bytes, limits.memory_bytes),
        (limits.processes, limits.processes),
        (limits.file_bytes, limits.file_bytes),
        (limits.open_files, limits.open_files),
        (0, 0),
    ]
    assert outcome.stdout.decode().strip() == str(expected)


def test_a_run_that_kills_or_floods_does_not_hurt_the_next_run() -> None:
    jail = Jail()
    look_around(jail)
    zygotes = _zygotes()
    assert zygotes
    # Everything it may signal, then its own process group (itself with it).
    killer = "import os, signal\nfor pid in (-1, 1, 0):\n    try:\n        os.kill(pid, signal.SIGKILL)\n" + (
        "    except OSError:\n        pass\n"
    )
    killed = jail.run([PYTHON, "-I", "-B", f"{RUN_DIR}/kill.py"], {"kill.py": killer}, runtimes=python_runtimes())
    assert killed.warm and not killed.lost and killed.exit_code == 128 + signal.SIGKILL
    assert look_around(jail)["processes"] == [1, 2]
    assert _zygotes() == zygotes  # the warm jail that served it serves the next run

    flood = jail.run([PYTHON, "-I", "-c", "while True: print('x' * 1000)"], {}, runtimes=python_runtimes())
    assert flood.warm and flood.output_exceeded and flood.exit_code is None
    seen = look_around(jail)
    assert seen["processes"] == [1, 2]
    tests = "import m\n\ndef test_m():\n    assert m.M == 1\n"
    after = run_tests(jail, "pytest", tests, "M = 1\n", "m.py")
    assert after.passed


def test_a_warm_jail_killed_mid_run_loses_that_run_and_the_next_one_runs() -> None:
    jail = Jail()
    tests = (
        "import m\nimport time\n\ndef test_a():\n    assert m.M\n\n"
        "def test_b():\n    time.sleep(50)\n\ndef test_c():\n    pass\n"
    )
    results: list[TestRun] = []
    running = threading.Thread(target=lambda: results.append(run_tests(jail, "pytest", tests, "M = 1\n", "m.py")))
    running.start()
    zygote_pid = _wait_for_a_sleeping_test()
    os.kill(zygote_pid, signal.SIGKILL)
    running.join(timeout=60)
    [lost] = results
    # test_c never ran: missing from the report, so not passed.
    assert [(t.name, t.status) for t in lost.tests] == [
        ("test_a", "passed"),
        ("test_b", "failed"),
        ("test_c", "failed"),
    ]
    assert lost.tests[1].message == "the sandbox stopped before the tests finished"
    assert lost.tests[2].kind == "missing"
    assert not lost.passed

    after = run_tests(jail, "pytest", "import m\n\ndef test_m():\n    assert m.M\n", "M = 1\n", "m.py")
    assert after.passed


def _wait_for_a_sleeping_test() -> int:
    """The zygote of the warm jail whose run is inside `time.sleep`, once it is."""
    for _ in range(600):
        processes = _descendants(os.getpid())
        for pid, (_, _, state, wchan) in processes.items():
            if state != "S" or "nanosleep" not in wchan:
                continue
            # Up from the sleeping test: its init, its runner, then the zygote, whose parent is bwrap.
            while pid in processes and processes.get(processes[pid][0], (0, "", "", ""))[1] != "bwrap":
                pid = processes[pid][0]
            if pid in processes:
                return pid
        time.sleep(0.1)
    raise AssertionError("the run never reached its sleeping test")


def _zygotes() -> set[int]:
    """The zygotes of this process's warm jails: the Python processes whose parent is a bwrap."""
    processes = _descendants(os.getpid())
    return {
        pid
        for pid, (parent, name, _, _) in processes.items()
        if name.startswith("python") and processes.get(parent, (0, "", "", ""))[1] == "bwrap"
    }


def _descendants(root: int) -> dict[int, tuple[int, str, str, str]]:
    """pid → (parent, name, state, wait channel) for the processes under `root`."""
    table: dict[int, tuple[int, str, str, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
            wchan = (entry / "wchan").read_text()
        except OSError:
            continue
        table[int(entry.name)] = (int(fields["PPid"]), fields["Name"].strip(), fields["State"].split()[0], wchan)
    found = {root}
    for _ in range(12):
        found |= {pid for pid, (parent, *_) in table.items() if parent in found}
    return {pid: row for pid, row in table.items() if pid in found and pid != root}


def test_where_no_warm_jail_starts_runs_are_cold_and_the_log_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A zygote that cannot start: its interpreter ends at once, as one without pytest would.
    monkeypatch.setattr(zygote, "_pool", zygote._Pool())
    monkeypatch.setattr(zygote, "python_executable", lambda: "/usr/bin/false")
    with caplog.at_level(logging.WARNING, logger="ai_goals_tracker.sandbox.zygote"):
        pid = [PYTHON, "-I", "-c", "import os; print(os.getpid())"]
        outcome: JailRun = Jail().run(pid, {}, runtimes=python_runtimes())
        again = Jail().run([PYTHON, "-I", "-c", "print('again')"], {}, runtimes=python_runtimes())
    # Still jailed: PID 2 of a namespace of its own, as a cold jail's program is.
    assert (outcome.warm, outcome.exit_code, outcome.stdout.decode().strip()) == (False, 0, "2")
    assert (again.warm, again.stdout.decode().strip()) == (False, "again")
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings == ["goals' tests start in cold jails: the warm jail did not start: it ended"]
