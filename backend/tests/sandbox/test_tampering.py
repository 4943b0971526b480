"""A wrong solution cannot complete a task by tampering with the grading: each technique ends not passed.

The goal's tests run in one jail and the learner's module in another (another uid, other namespaces),
joined by one socket; only plain data crosses it (docs/sandbox.md, "The boundary"). Each case below is a
wrong `add` plus one way a learner could try to turn the tests green anyway: skipping, an object equal to
everything, patching pytest or builtins, forged report lines, exits and signals, descriptors and /proc,
reading the tests, flooding, forking, files named to be loaded on their own. Controls: right solutions
still pass, with coverage, and ordinary tests (mutation in place, classes with state, generators,
exceptions with attributes, approx, unittest, parametrised tests, callbacks, a FastAPI app) still work.
"""

from __future__ import annotations

import pytest

from ai_goals_tracker.sandbox.jail import Jail, JailLimits
from ai_goals_tracker.sandbox.testrun import TestRun, run_tests

pytestmark = pytest.mark.slow

GOAL_TESTS = """\
import calc
import pytest


def test_add():
    assert calc.add(2, 3) == 5


def test_add_negative():
    assert calc.add(-2, -3) == -5


@pytest.mark.parametrize(("a", "b", "total"), [(1, 1, 2), (0, 7, 7)])
def test_add_cases(a, b, total):
    assert calc.add(a, b) == total
"""

RIGHT = "def add(a, b):\n    return a + b\n"

# Each is wrong (add returns 0 where it runs at all) and tries to make the tests pass another way.
TAMPERING = {
    "pytest.skip in the function": "import pytest\ndef add(a, b):\n    pytest.skip('later')\n",
    "pytest.xfail in the function": "import pytest\ndef add(a, b):\n    pytest.xfail('known')\n",
    "pytest.skip at import": (
        "import pytest\npytest.skip('all', allow_module_level=True)\ndef add(a, b):\n    return 0\n"
    ),
    "unittest.SkipTest": "import unittest\ndef add(a, b):\n    raise unittest.SkipTest('no')\n",
    "pytest.exit": "import pytest\ndef add(a, b):\n    pytest.exit('done', returncode=0)\n",
    "KeyboardInterrupt": "def add(a, b):\n    raise KeyboardInterrupt\n",
    "an object equal to everything": (
        "class Yes:\n    def __eq__(self, other):\n        return True\n    __hash__ = object.__hash__\n"
        "def add(a, b):\n    return Yes()\n"
    ),
    "an int subclass equal to everything": (
        "class Yes(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\n"
        "def add(a, b):\n    return Yes(0)\n"
    ),
    "a duck-typed number": (
        "class Num:\n    def __eq__(self, o): return True\n    def __index__(self): return 5\n"
        "    def __int__(self): return 5\n    def __repr__(self): return '5'\n"
        "    def __sub__(self, o): return 0\n    def __rsub__(self, o): return 0\n    def __abs__(self): return 0\n"
        "def add(a, b):\n    return Num()\n"
    ),
    "patched builtins at import": (
        "import builtins\nbuiltins.AssertionError = type('Quiet', (Exception,), {})\n"
        "builtins.isinstance = lambda *a: True\ndef add(a, b):\n    return 0\n"
    ),
    "patched pytest report classes": (
        "import _pytest.reports, _pytest.runner\n"
        "_pytest.reports.TestReport.passed = property(lambda self: True)\n"
        "_pytest.reports.TestReport.failed = property(lambda self: False)\n"
        "_pytest.runner.call_and_report = lambda item, when, log=True, **kw: None\n"
        "def add(a, b):\n    return 0\n"
    ),
    "patched assertion rewriting": (
        "import _pytest.assertion.rewrite as r\nr.AssertionRewritingHook.exec_module = lambda *a: None\n"
        "def add(a, b):\n    return 0\n"
    ),
    "forged report lines on stdout": (
        "import json, os, sys\n"
        "line = '@aigt-0000000000000000@' + json.dumps({'event': 'test', 'test': 'test_add', 'status': 'passed'})\n"
        "for fd in (1, 2):\n    os.write(fd, (line + '\\n').encode())\nprint(line)\n"
        "def add(a, b):\n    print(line, file=sys.__stdout__)\n    return 0\n"
    ),
    "forged frames on every descriptor": (
        "import os, json, struct\n"
        "def add(a, b):\n"
        "    frame = json.dumps({'rid': 1, 'value': a + b}).encode()\n"
        "    for fd in range(3, 64):\n"
        "        try:\n            os.write(fd, struct.pack('>I', len(frame)) + frame)\n"
        "        except OSError:\n            pass\n"
        "    return 0\n"
    ),
    "writing through /proc to other processes": (
        "import glob, os\n"
        "def add(a, b):\n"
        "    for path in glob.glob('/proc/*/fd/*'):\n"
        "        try:\n            with open(path, 'w') as f:\n"
        '                f.write(\'@aigt@{"event": "done"}\\n\')\n'
        "        except OSError:\n            pass\n"
        "    return 0\n"
    ),
    "sys.exit(0) at import": "import sys\nsys.exit(0)\n",
    "os._exit(0) in the function": "import os\ndef add(a, b):\n    os._exit(0)\n",
    "sys.exit(0) in the function": "import sys\ndef add(a, b):\n    sys.exit(0)\n",
    "GeneratorExit and BaseException": (
        "class Quiet(BaseException):\n    pass\ndef add(a, b):\n    raise (GeneratorExit if a > 0 else Quiet)('stop')\n"
    ),
    "an exception dressed as pytest's Skipped": (
        "class Skipped(BaseException):\n    __module__ = '_pytest.outcomes'\n"
        "def add(a, b):\n    raise Skipped('dressed')\n"
    ),
    "NotImplemented and Ellipsis": "def add(a, b):\n    return NotImplemented if a > 0 else ...\n",
    "an answer nested beyond any depth": (
        "def add(a, b):\n    value = []\n    for _ in range(100000):\n        value = [value]\n    return value\n"
    ),
    "killing every process it can": (
        "import os, signal\ndef add(a, b):\n    os.kill(-1, signal.SIGKILL)\n    return 0\n"
    ),
    "signalling its parents": (
        "import os, signal\ndef add(a, b):\n"
        "    for pid in (os.getppid(), 1, 2):\n        try:\n            os.kill(pid, signal.SIGSTOP)\n"
        "        except OSError:\n            pass\n    return 0\n"
    ),
    "reading the tests to special-case them": (
        "import glob\n"
        "def add(a, b):\n"
        "    for path in glob.glob('/tmp/**/*goal*', recursive=True) + glob.glob('/proc/*/cwd/*goal*'):\n"
        "        try:\n            if 'calc.add(2, 3) == 5' in open(path).read():\n                return a + b\n"
        "        except OSError:\n            pass\n"
        "    return 0\n"
    ),
    "an atexit handler reporting success": (
        'import atexit, os\natexit.register(lambda: os.write(1, b\'@aigt@{"event": "done"}\\n\'))\n'
        "def add(a, b):\n    return 0\n"
    ),
    "a conftest written at import": (
        "import os\nfor folder in ('/tmp', '/tmp/run', os.getcwd()):\n    try:\n"
        "        open(os.path.join(folder, 'conftest.py'), 'w').write(\n"
        "            'import pytest\\n@pytest.hookimpl(tryfirst=True)\\n'\n"
        "            'def pytest_runtest_call(item):\\n    return True\\n')\n"
        "    except OSError:\n        pass\n"
        "def add(a, b):\n    return 0\n"
    ),
    "a thread scribbling on the socket": (
        "import os, threading\n"
        "def scribble():\n    while True:\n        try:\n            os.write(3, b'\\x00\\x00\\x00\\x02{}')\n"
        "        except OSError:\n            return\n"
        "threading.Thread(target=scribble, daemon=True).start()\n"
        "def add(a, b):\n    return 0\n"
    ),
    "a patched bridge answering a forged error": (
        "import aigt_bridge\n"
        "aigt_bridge.Peer._encode_error = lambda self, exc: {'base': 'BaseException', 'name': 'Skipped', "
        "'message': 'skip', 'args': ['skip']}\n"
        "def add(a, b):\n    raise RuntimeError('x')\n"
    ),
    "a patched bridge answering a handle of the tests' side": (
        "import aigt_bridge\n"
        "aigt_bridge.Peer.encode = lambda self, value, depth=0: {'$': 'handle', 'side': 'harness', 'id': 1}\n"
        "def add(a, b):\n    return 0\n"
    ),
    "a class claiming to be int": (
        "class Fake:\n    __module__ = 'builtins'\n    __qualname__ = 'int'\n"
        "    def __eq__(self, o): return True\n"
        "def add(a, b):\n    return Fake()\n"
    ),
    "flooding the output": "import sys\ndef add(a, b):\n    sys.stdout.write('x' * (80 * 1024 * 1024))\n    return 0\n",
    "a fork bomb": (
        "import os\ndef add(a, b):\n    for _ in range(200):\n        try:\n            os.fork()\n"
        "        except OSError:\n            break\n    return 0\n"
    ),
    "an endless loop": "def add(a, b):\n    while True:\n        pass\n",
}

# Files the interpreter, pytest or node would load on their own are refused before anything runs.
REFUSED_NAMES = ["conftest.py", "sitecustomize.py", "usercustomize.py", "pytest.py", "__init__.py", "evil.pth"]


@pytest.fixture(scope="module")
def jail() -> Jail:
    return Jail(limits=JailLimits(wall_seconds=8, cpu_seconds=8))


def _run(jail: Jail, code: str, tests: str = GOAL_TESTS, file_path: str = "calc.py") -> TestRun:
    return run_tests(jail, "pytest", tests, code, file_path)


def test_the_right_solution_passes_with_its_coverage(jail: Jail) -> None:
    run = _run(jail, RIGHT)
    assert run.passed, run
    assert [t.name for t in run.tests] == [
        "test_add",
        "test_add_negative",
        "test_add_cases[1-1-2]",
        "test_add_cases[0-7-7]",
    ]
    assert run.coverage == 1.0


@pytest.mark.parametrize("technique", sorted(TAMPERING))
def test_tampering_never_passes(jail: Jail, technique: str) -> None:
    run = _run(jail, TAMPERING[technique])
    assert not run.passed, (technique, run)
    # Every test the goal defines is accounted for: none silently vanished from the report.
    if run.problem is None:
        names = {t.name.split("[")[0] for t in run.tests}
        assert {"test_add", "test_add_negative", "test_add_cases"} <= names


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_files_named_to_be_loaded_on_their_own_are_refused(jail: Jail, name: str) -> None:
    run = _run(jail, RIGHT, file_path=f"src/{name}")
    assert run.problem == "refused"
    assert not run.passed


@pytest.mark.parametrize("name", ["x" * 300 + ".py", "a\x00b.py", "tab\there.py"])
def test_a_name_no_module_can_have_is_refused_and_leaves_the_sandbox_serving(jail: Jail, name: str) -> None:
    run = _run(jail, RIGHT, file_path=name)
    assert (run.problem, run.detail) == ("refused", "unusable")
    assert "\x00" not in run.refused_name and len(run.refused_name) <= 80
    assert _run(jail, RIGHT).passed


def test_a_file_named_like_a_module_the_tests_need_is_refused(jail: Jail) -> None:
    run = _run(jail, RIGHT, file_path="json.py")
    assert (run.problem, run.detail) == ("refused", "shadows:json")


def test_skipped_and_xfailed_tests_of_the_goal_are_not_passes(jail: Jail) -> None:
    tests = (
        "import calc\nimport pytest\n\n@pytest.mark.skip(reason='later')\ndef test_skipped():\n    pass\n\n"
        "@pytest.mark.xfail\ndef test_xpass():\n    assert calc.add(1, 1) == 2\n\n"
        "def test_ok():\n    assert calc.add(1, 1) == 2\n"
    )
    run = _run(jail, RIGHT, tests)
    assert not run.passed
    assert {(t.name, t.status, t.kind) for t in run.tests} == {
        ("test_skipped", "skipped", "skipped"),
        ("test_xpass", "failed", "xpassed"),
        ("test_ok", "passed", None),
    }


def test_a_module_with_no_test_is_not_met(jail: Jail) -> None:
    assert _run(jail, RIGHT, "import calc\n").problem == "no_tests"


def test_the_learner_cannot_make_namespaces_trace_or_mount(jail: Jail) -> None:
    probe = (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "def attempts():\n"
        "    results = {}\n"
        "    results['unshare_user'] = libc.unshare(0x10000000) == 0\n"
        "    results['unshare_ns'] = libc.unshare(0x00020000) == 0\n"
        "    results['ptrace'] = libc.ptrace(16, 1, 0, 0) == 0\n"
        "    results['mount'] = libc.mount(b'none', b'/tmp', b'tmpfs', 0, None) == 0\n"
        "    results['keyctl'] = libc.syscall(250, 0, 0, 0, 0, 0) >= 0\n"
        "    results['bpf'] = libc.syscall(321, 0, 0, 0) >= 0\n"
        "    results['tests_visible'] = any('goal' in name for name in os.listdir('/tmp/run'))\n"
        "    results['processes'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
        "    results['uid'] = os.getuid()\n"
        "    return results\n"
    )
    tests = (
        "import os\nimport calc\n\ndef test_nothing_is_possible():\n    seen = calc.attempts()\n"
        "    assert not any(seen[key] for key in ('unshare_user', 'unshare_ns', 'ptrace', 'mount', 'keyctl', 'bpf'))\n"
        "    assert not seen['tests_visible']\n"
        "    assert seen['processes'] == [1, 2]\n"
        "    assert os.geteuid() == 0 or seen['uid'] != os.getuid()\n"
    )
    run = _run(jail, probe, tests)
    assert run.passed, run


def test_one_run_cannot_hold_more_than_its_memory_in_total(jail: Jail) -> None:
    hog = (
        "import os, time\n"
        "def hold(children, megabytes):\n"
        "    pids = []\n"
        "    for _ in range(children):\n"
        "        pid = os.fork()\n"
        "        if pid == 0:\n"
        "            block = bytearray(megabytes * 1024 * 1024)\n"
        "            for i in range(0, len(block), 4096):\n                block[i] = 1\n"
        "            time.sleep(3)\n            os._exit(0)\n"
        "        pids.append(pid)\n"
        "    statuses = [os.waitpid(pid, 0)[1] for pid in pids]\n"
        "    return sum(1 for status in statuses if status == 0)\n"
    )
    tests = "import calc\n\ndef test_four_children_of_900_mb():\n    assert calc.hold(4, 900) == 4\n"
    assert not _run(jail, hog, tests).passed


def test_without_a_control_group_the_watchdog_bounds_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    from ai_goals_tracker.sandbox import cgroups

    monkeypatch.setattr(cgroups, "create", lambda memory_bytes, processes: None)
    # Limits of its own: a warm jail of its own, started without a control group.
    jail = Jail(limits=JailLimits(wall_seconds=9, cpu_seconds=9, total_memory_bytes=600 * 1024 * 1024))
    hog = (
        "import os, time\n"
        "def hold(children, megabytes):\n"
        "    for _ in range(children):\n"
        "        if os.fork() == 0:\n"
        "            block = bytearray(megabytes * 1024 * 1024)\n"
        "            for i in range(0, len(block), 4096):\n                block[i] = 1\n"
        "            time.sleep(5)\n            os._exit(0)\n"
        "    time.sleep(5)\n    return children\n"
    )
    tests = "import calc\n\ndef test_three_children_of_300_mb():\n    assert calc.hold(3, 300) == 3\n"
    run = _run(jail, hog, tests)
    assert not run.passed
    assert "in total" in (run.tests[0].message or "")


CONTROLS = """\
import unittest

import pytest

import lib


def test_mutation_in_place_is_seen():
    items = [3, 1, 2]
    lib.sort_in_place(items)
    assert items == [1, 2, 3]


def test_classes_with_state():
    counter = lib.Counter(start=2)
    counter.increment()
    assert counter.value == 3 and isinstance(counter, lib.Counter)
    assert str(counter) == "Counter(3)"


def test_generators_and_iterators():
    assert list(lib.countdown(3)) == [3, 2, 1]
    assert next(iter(lib.Counter(0))) == 0


def test_exceptions_with_attributes():
    with pytest.raises(lib.OutOfStock) as caught:
        lib.take({"pen": 0}, "pen")
    assert caught.value.item == "pen"
    assert isinstance(caught.value, LookupError)


def test_floats_with_approx_and_callbacks():
    assert lib.mean([0.1, 0.2]) == pytest.approx(0.15)
    seen = []
    assert lib.each([1, 2], seen.append) == 2
    assert seen == [1, 2]


class TestUnittestStyle(unittest.TestCase):
    def test_raises(self):
        with self.assertRaises(ValueError) as caught:
            lib.mean([])
        self.assertEqual(str(caught.exception), "no values")


def test_a_fastapi_app_through_its_test_client():
    from fastapi.testclient import TestClient

    client = TestClient(lib.app)
    assert client.get("/items/7").json() == {"id": 7}
    assert client.get("/items/x").status_code == 422
"""

CONTROL_SOLUTION = """\
from fastapi import FastAPI


class OutOfStock(LookupError):
    def __init__(self, item):
        super().__init__(f"{item} is out of stock")
        self.item = item


class Counter:
    def __init__(self, start=0):
        self.value = start

    def increment(self):
        self.value += 1

    def __str__(self):
        return f"Counter({self.value})"

    def __iter__(self):
        yield self.value


def sort_in_place(items):
    items.sort()


def countdown(n):
    while n:
        yield n
        n -= 1


def take(stock, item):
    if stock.get(item, 0) <= 0:
        raise OutOfStock(item)
    stock[item] -= 1


def mean(values):
    if not values:
        raise ValueError("no values")
    return sum(values) / len(values)


def each(values, callback):
    for value in values:
        callback(value)
    return len(values)


app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int):
    return {"id": item_id}
"""


def test_ordinary_tests_keep_working_across_the_boundary(jail: Jail) -> None:
    run = _run(jail, CONTROL_SOLUTION, CONTROLS, "lib.py")
    assert run.passed, [(t.name, t.message) for t in run.tests if t.status != "passed"]
    assert run.coverage is not None and run.coverage > 0.9


PATCHED_OPEN_TESTS = """\
import io
import unittest
from unittest import mock

from grep import grep

FILES = {"a.txt": "Lima beans\\nHotel rooms\\n", "b.txt": "Foxtrot\\nlima\\n"}


def open_mock(name, *args, **kwargs):
    return io.StringIO(FILES[name])


@mock.patch("grep.open", name="open", side_effect=open_mock, create=True)
class GrepTest(unittest.TestCase):
    def test_one_file(self, mock_open):
        self.assertMultiLineEqual(grep("Lima", "", ["a.txt"]), "Lima beans\\n")

    def test_two_files_ignoring_case(self, mock_open):
        self.assertMultiLineEqual(grep("lima", "-i", ["a.txt", "b.txt"]), "a.txt:Lima beans\\nb.txt:lima\\n")
"""

GREP = """\
def grep(pattern, flags, files):
    out = []
    for name in files:
        with open(name) as handle:
            for line in handle:
                hay, needle = (line.lower(), pattern.lower()) if "-i" in flags.split() else (line, pattern)
                if needle in hay:
                    out.append((f"{name}:" if len(files) > 1 else "") + line)
    return "".join(out)
"""


def test_a_test_that_patches_the_learners_module_reaches_its_code(jail: Jail) -> None:
    # As exercise tracks do: `mock.patch("grep.open")` puts the test's fake files in the learner's module.
    assert _run(jail, GREP, PATCHED_OPEN_TESTS, "grep.py").passed
    stub = _run(jail, "def grep(pattern, flags, files):\n    pass\n", PATCHED_OPEN_TESTS, "grep.py")
    assert not stub.passed and all(t.status == "failed" for t in stub.tests)


def test_a_failing_test_points_at_the_learners_line(jail: Jail) -> None:
    wrong = (
        "def add(a, b):\n    total = a - b\n    if total > 100:\n        raise ValueError('big')\n    return total\n"
    )
    run = _run(jail, wrong)
    failed = {t.name: t for t in run.tests if t.status == "failed"}
    assert failed["test_add"].line == 1  # the function the test called
    raising = "def add(a, b):\n    return helper(a, b)\n\n\ndef helper(a, b):\n    raise ValueError('no')\n"
    run = _run(jail, raising)
    assert {t.line for t in run.tests} == {6}  # the deepest line of the learner's file in the failure
