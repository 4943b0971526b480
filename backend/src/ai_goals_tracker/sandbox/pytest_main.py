"""Runs inside the sandbox, never in the server: a goal's pytest module, on the tests' side of the boundary.

Copied into the tests' jail and run as `python -I -B pytest_main.py MARKER MODULE TESTS`. The learner's
code is not here: it runs in another process (another uid, other namespaces) reached through the socket
on fd 3 (`bridge.py`), and `import MODULE` gives the tests that process's module. The report goes to the
saved stdout, one `MARKER{json}` line per event, as each test finishes, so a run cut short by its time
limit still tells which tests finished and which one was running; only this process can write there.
Everything else written to stdout goes to /dev/null.

A test passes only when pytest reports its call passed and nothing about it failed: skipped, xfailed,
xpassed, errors in set-up or tear-down and a failure of the boundary are not passes.
Only the standard library, pytest and `bridge.py` may be imported here.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from typing import Any, TextIO

MESSAGE_CHARS = 500
SHARED_DIR = "/tmp/.aigt-shared"  # noqa: S108  (zygote_main.SHARED_DIR)


def _bridge() -> Any:
    loaded = sys.modules.get("aigt_bridge")
    if loaded is not None:
        return loaded
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".aigt_bridge.py")
    specification = importlib.util.spec_from_file_location("aigt_bridge", path)
    assert specification is not None and specification.loader is not None
    module = importlib.util.module_from_spec(specification)
    sys.modules["aigt_bridge"] = module
    specification.loader.exec_module(module)
    return module


class LearnerFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import MODULE` asks the learner's process to import its module, and gives its names as handles."""

    def __init__(self, name: str, peer: Any, source: str) -> None:
        self.name = name
        self.peer = peer
        self.source = source

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> Any:
        if fullname != self.name:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, origin="the learner's process")

    def create_module(self, spec: Any) -> Any:
        bridge = sys.modules["aigt_bridge"]
        answer = self.peer.request("import")
        names, loaded = (answer.get("names"), answer.get("loaded")) if isinstance(answer, dict) else (None, None)
        if not isinstance(names, dict):
            raise ImportError("the learner's module could not be imported")
        _load_alike(loaded)
        module = bridge.LearnerModule(self.name, self.peer, {str(k): v for k, v in names.items()})
        # Its source, for `inspect.getsource` and tracebacks: a copy the tests' side only reads.
        module.__dict__["__file__"] = self.source
        return module

    def exec_module(self, module: Any) -> None:
        return None


def _load_alike(loaded: object) -> None:
    """Submodules of libraries the tests imported already, which the learner's module loaded (a test
    that reads `matplotlib.text.Annotation` after importing matplotlib alone relies on them). Nothing
    else is imported: no package the tests did not import themselves, no module of the learner's."""
    if not isinstance(loaded, list):
        return
    for name in loaded[:500]:
        if not isinstance(name, str) or not all(part.isidentifier() for part in name.split(".")):
            continue
        top = name.split(".")[0]
        if "." in name and top in sys.modules and name not in sys.modules and top not in ("aigt_bridge",):
            with contextlib.suppress(Exception):  # a module the tests' side cannot load: they get by without it
                importlib.import_module(name)


def _share_temporary_folders() -> None:
    """pytest makes its temporary folders private to this uid: the learner's (its group) may use them."""
    from _pytest.tmpdir import TempPathFactory

    make, base = TempPathFactory.mktemp, TempPathFactory.getbasetemp

    def getbasetemp(self: Any) -> Any:
        path = base(self)
        os.chmod(path, 0o2770)  # noqa: S103  (the learner's group: the shared folder)
        return path

    def mktemp(self: Any, basename: str, numbered: bool = True) -> Any:
        path = make(self, basename, numbered)
        os.chmod(path, 0o2770)  # noqa: S103  (the learner's group: the shared folder)
        return path

    TempPathFactory.getbasetemp = getbasetemp  # type: ignore[method-assign]
    TempPathFactory.mktemp = mktemp  # type: ignore[method-assign]


_TYPE_EXPRESSION_NODES = (
    "Expression", "Name", "Attribute", "Subscript", "Tuple", "List", "Constant", "BinOp", "BitOr", "Load", "Index",
)  # fmt: skip


def _guard_annotations() -> None:
    """`typing.get_type_hints` evaluates string annotations, which the learner writes: on this side,
    only plain type expressions (names, attributes, subscripts, `|`) are evaluated, never a call."""
    import ast
    import typing

    evaluate = typing.ForwardRef._evaluate

    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            tree = ast.parse(self.__forward_arg__, mode="eval")
        except SyntaxError as exc:
            raise NameError(f"annotation {self.__forward_arg__!r} is not a type expression") from exc
        for node in ast.walk(tree):
            private = isinstance(node, ast.Attribute | ast.Name) and getattr(
                node, "attr", getattr(node, "id", "")
            ).startswith("_")
            if type(node).__name__ not in _TYPE_EXPRESSION_NODES or private:
                raise NameError(f"annotation {self.__forward_arg__!r} is not a plain type expression")
        return evaluate(self, *args, **kwargs)

    typing.ForwardRef._evaluate = guarded  # type: ignore[method-assign]


class Reporter:
    """A pytest plugin that turns set-up/call/tear-down reports into one verdict per test."""

    def __init__(self, emit: Any, peer: Any) -> None:
        self._emit = emit
        self._peer = peer
        self._failures: dict[str, str] = {}
        self._outcome: dict[str, str] = {}
        self._lines: dict[str, int] = {}

    def pytest_runtest_logstart(self, nodeid: str, location: object) -> None:
        if self._peer is not None:
            self._peer.last_line = None
        self._emit(event="start", test=_test_name(nodeid))

    def pytest_exception_interact(self, node: Any, call: Any, report: Any) -> None:
        line = self._line_of(call.excinfo.value if call.excinfo is not None else None)
        if line is not None:
            self._lines[report.nodeid] = line

    def _line_of(self, error: object) -> int | None:
        lines = getattr(error, "_aigt_lines", None)
        if isinstance(lines, list) and lines:
            return int(lines[-1])
        return self._peer.last_line if self._peer is not None else None

    def pytest_runtest_logreport(self, report: Any) -> None:
        nodeid = report.nodeid
        if hasattr(report, "wasxfail"):
            # Expected to fail, whichever way it went: not a pass of the learner's code.
            kind = "xpassed" if report.passed else "xfailed"
            self._outcome.setdefault(nodeid, kind)
            self._failures.setdefault(nodeid, f"{kind}: {report.wasxfail or 'marked xfail'}")
        elif report.failed:
            self._outcome.setdefault(nodeid, "failed" if report.when == "call" else "error")
            self._failures.setdefault(nodeid, _message(report))
        elif report.skipped:
            self._outcome.setdefault(nodeid, "skipped")
            self._failures.setdefault(nodeid, _skip_reason(report))
        elif report.when == "call" and report.passed:
            self._outcome.setdefault(nodeid, "passed")

    def pytest_runtest_logfinish(self, nodeid: str, location: object) -> None:
        name = _test_name(nodeid)
        outcome = self._outcome.get(nodeid, "error")
        if outcome == "passed":
            self._emit(event="test", test=name, status="passed", message=None)
            return
        message = self._failures.get(nodeid) or "the test did not report a result"
        self._emit(event="test", test=name, status=outcome, message=message, line=self._lines.get(nodeid))

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self._emit(event="collection_error", message=_collection_message(str(report.longreprtext)))


def _test_name(nodeid: str) -> str:
    return nodeid.split("::", 1)[1] if "::" in nodeid else nodeid


def _message(report: Any) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longreprtext)
    # pytest's `+ where …` lines explain the values with object addresses: noise for a learner.
    return _shorten("\n".join(line for line in text.splitlines() if not line.strip().startswith("+")))


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "")
    return _shorten(f"skipped: {reason}")


def _shorten(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


def _collection_message(text: str) -> str:
    """pytest's `E   …` lines say what went wrong; the traceback above them is the runner's."""
    errors = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    return _shorten(errors[-1] if errors else text)


def main(marker: str, module: str, tests: str, source: str = "") -> int:
    channel: TextIO = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)

    def emit(**event: Any) -> None:
        channel.write(marker + json.dumps(event, ensure_ascii=False) + "\n")
        channel.flush()

    import pytest

    peer = None
    if module:
        bridge = _bridge()
        peer = bridge.Peer(bridge.open_channel(), "harness")
        sys.meta_path.insert(0, LearnerFinder(module, peer, source))
        _guard_annotations()
    sys.path.insert(0, os.path.dirname(tests))
    arguments = [tests, "-q", "-p", "no:cacheprovider", "--rootdir", os.path.dirname(tests), "--tb=short"]
    if peer is not None and os.path.isdir(SHARED_DIR):
        # tmp_path in the folder the learner's process sees too, so that a test can hand it a file.
        arguments.append(f"--basetemp={SHARED_DIR}/pytest")
        _share_temporary_folders()
    exit_code = pytest.main(arguments, plugins=[Reporter(emit, peer)])
    coverage = None
    if peer is not None and peer.gone is None:
        try:
            coverage = peer.request("coverage")
        except Exception:  # the learner's process is gone or says nonsense: no figure
            coverage = None
    emit(event="coverage", value=coverage if isinstance(coverage, float) and 0 <= coverage <= 1 else None)
    emit(event="done", exit_code=int(exit_code))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
