"""Runs inside the sandbox, never in the server: a goal's pytest module against the learner's file.

Copied into the jail next to them and run as `python -I pytest_main.py MARKER MODULE TESTS`. It
reports on the saved stdout, one `MARKER{json}` line per event, as each test finishes, so a run cut
short by its time limit still tells which tests finished and which one was running. Everything
else written to stdout (the learner's prints, pytest's own report) goes to /dev/null.
Only the standard library, pytest and coverage.py may be imported here.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

MESSAGE_CHARS = 500


class Reporter:
    """A pytest plugin that turns setup/call/teardown reports into one verdict per test."""

    def __init__(self, emit: Any) -> None:
        self._emit = emit
        self._failures: dict[str, str] = {}
        self._skipped: set[str] = set()

    def pytest_runtest_logstart(self, nodeid: str, location: object) -> None:
        self._emit(event="start", test=_test_name(nodeid))

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.failed and report.nodeid not in self._failures:
            self._failures[report.nodeid] = _message(report)
        elif report.skipped:
            self._skipped.add(report.nodeid)

    def pytest_runtest_logfinish(self, nodeid: str, location: object) -> None:
        name = _test_name(nodeid)
        if nodeid in self._failures:
            self._emit(event="test", test=name, status="failed", message=self._failures[nodeid])
        elif nodeid in self._skipped:
            self._emit(event="test", test=name, status="skipped", message=None)
        else:
            self._emit(event="test", test=name, status="passed", message=None)

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


def _shorten(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


def _collection_message(text: str) -> str:
    """pytest's `E   …` lines say what went wrong; the traceback above them is the runner's."""
    errors = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    return _shorten(errors[-1] if errors else text)


def _coverage_of(measured: Any, module: str) -> float | None:
    try:
        _, statements, _, missing, _ = measured.analysis2(module)
    except Exception:  # the module never ran (it did not import): nothing was measured
        return None
    if not statements:
        return None
    return round((len(statements) - len(missing)) / len(statements), 4)


def main(marker: str, module: str, tests: str) -> int:
    channel: TextIO = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)

    def emit(**event: Any) -> None:
        channel.write(marker + json.dumps(event, ensure_ascii=False) + "\n")
        channel.flush()

    sys.path.insert(0, os.path.dirname(tests))
    import coverage
    import coverage.collector
    import pytest

    # coverage's collector keeps the call stack that started it, for its own debugging output only;
    # walking it (inspect.stack reads every frame's source) costs more than a goal's tests do.
    if hasattr(coverage.collector, "short_stack"):
        coverage.collector.short_stack = lambda *args, **kwargs: ""
    measured = coverage.Coverage(data_file=None, include=[module], config_file=False)
    # A module that failed to import is reported as a collection error already.
    measured.set_option("run:disable_warnings", ["no-data-collected", "module-not-imported"])
    measured.start()
    try:
        exit_code = pytest.main(
            [tests, "-q", "-p", "no:cacheprovider", "--rootdir", os.path.dirname(tests), "--tb=short"],
            plugins=[Reporter(emit)],
        )
    finally:
        measured.stop()
    emit(event="coverage", value=_coverage_of(measured, module))
    emit(event="done", exit_code=int(exit_code))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
