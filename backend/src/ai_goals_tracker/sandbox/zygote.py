"""Warm jails: one bwrap jail kept running, whose Python has pytest and coverage imported, forks each run.

A cold run pays about 0.4 CPU s before the first test: Python, pytest and coverage start and import
in a fresh interpreter (docs/sandbox.md, "Cost"). A warm jail (`zygote_main.py` inside) pays that once;
each run is then a fork that takes, before any learner code runs, the namespaces, the fresh /tmp,
the read-only view, the limits and the uid a cold jail gives it (see `zygote_main`).

- A warm jail serves one run at a time, so that ending a run that overran its time or output is
  ending that jail (every process in it, as for a cold jail) without touching any other run; the
  next run gets a new jail.
- Output goes through pipes the server owns, passed with the request; the zygote never reads a
  run's files or settings, so nothing of one run lingers in the memory the next one is forked from.
- A jail that dies or says something else than a run's status loses the run it was serving (reported
  as not finished, never as a pass) and is replaced; one that cannot start, or cannot isolate a run,
  leaves runs to cold jails, and the log says so once.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import socket
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources

from ai_goals_tracker.sandbox import cgroups
from ai_goals_tracker.sandbox.bwrap import (
    JailLimits,
    JailRun,
    LearnerProcess,
    SandboxUnavailable,
    bound_under_tmp,
    collect,
    command,
    end_sandbox,
    environment_of,
    executable,
    memory_files,
    python_executable,
    python_runtimes,
    rlimits,
    sandbox_uid,
)

logger = logging.getLogger(__name__)

# The zygote's program sits outside /tmp, which each run replaces with its own.
ZYGOTE_DIR = "/aigt"
# The zygote, and the program pytest runs use, which the zygote runs once as it starts to warm up.
_PROGRAMS = ("zygote_main.py", "pytest_main.py", "bridge.py")
# A jail's own processes (the zygote, a run's runner, init and the learner's keepers) besides the run's.
_JAIL_PROCESSES = 16
_JAIL_MEMORY = 128 * 1024 * 1024
_START_SECONDS = 60.0
# Each process keeps at most this many warm jails per configuration idle (testrun runs two at once).
_IDLE_PER_KEY = 2


# A warm jail's configuration: bwrap, the hidden paths, the runtimes it shows, the limits of its runs.
Key = tuple[str, tuple[str, ...], tuple[str, ...], JailLimits]


class ZygoteUnavailable(Exception):
    """The warm jail did not start, or could not begin the run: nothing of the run has run."""


class Zygote:
    """One warm jail and the socket its zygote takes requests on."""

    def __init__(self, key: Key) -> None:
        bwrap, hidden, runtimes, self.limits = key
        self.usable = True
        self._under_tmp = bound_under_tmp(runtimes)
        self._group = cgroups.create(
            self.limits.total_memory_bytes + _JAIL_MEMORY, self.limits.total_processes + _JAIL_PROCESSES
        )
        control, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        info_read, info_write = os.pipe()
        package = resources.files("ai_goals_tracker.sandbox")
        programs = {name: package.joinpath(name).read_text(encoding="utf-8") for name in _PROGRAMS}
        try:
            with memory_files(programs) as descriptors:
                setup = ["--perms", "0755", "--dir", ZYGOTE_DIR]
                for fd, name in descriptors:
                    setup += ["--perms", "0444", "--file", str(fd), f"{ZYGOTE_DIR}/{name}"]
                # The zygote keeps its capabilities (within the jail's namespaces) to give each run
                # namespaces of its own; every run drops them all before its program starts.
                setup += ["--cap-add", "ALL"]
                zygote, reporter = (f"{ZYGOTE_DIR}/{name}" for name in _PROGRAMS[:2])
                interpreter = [python_executable(), "-I", "-B", zygote, str(zygote_end.fileno()), reporter]
                arguments = cgroups.joining(
                    self._group,
                    command(executable(bwrap), self.limits, hidden, info_write, runtimes, setup, {}, interpreter),
                )
                self._process = subprocess.Popen(  # noqa: S603  (bwrap, with an argument list we built)
                    arguments,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    pass_fds=[info_write, zygote_end.fileno(), *(fd for fd, _ in descriptors)],
                    start_new_session=True,
                )
        except (OSError, SandboxUnavailable) as exc:
            control.close()
            if self._group is not None:
                self._group.remove()
            raise ZygoteUnavailable(str(exc)) from exc
        finally:
            os.close(info_write)
            zygote_end.close()
        self._control = control
        self._info = os.fdopen(info_read, "rb")
        self._await_ready()

    def _await_ready(self) -> None:
        ready, _, _ = select.select([self._control], [], [], _START_SECONDS)
        message = self._control.recv(16) if ready else b""
        assert self._process.stderr is not None
        if message != b"ready":
            self.kill()
            errors = self._process.stderr.read().decode("utf-8", "replace").strip().splitlines()
            self._process.stderr.close()
            reason = errors[-1] if errors else "it did not answer" if not ready else "it ended"
            raise ZygoteUnavailable(f"the warm jail did not start: {reason}")
        # From here on the zygote writes nothing there; a message of bwrap's own would be its end.
        self._process.stderr.close()
        self._child_pid = self._info.read1(4096)

    def run(
        self,
        argv: Sequence[str],
        files: Mapping[str, str],
        environment: Mapping[str, str],
        learner: LearnerProcess | None = None,
    ) -> JailRun:
        """`argv` forked from the warm jail, with the learner's process beside it when the run has one;
        raises ZygoteUnavailable when the run could not begin."""
        request: dict[str, object] = {
            "argv": list(argv),
            "environment": environment_of(environment),
            "files": list(files),
            "tmp_bytes": self.limits.tmp_bytes,
            "under_tmp": self._under_tmp,
            "limits": rlimits(self.limits),
            "uid": sandbox_uid() if os.geteuid() == 0 else None,
        }
        if learner is not None:
            tests_uid = request["uid"]
            request["learner"] = {
                "argv": list(learner.argv),
                "files": list(learner.files),
                "environment": environment_of(learner.environment),
                # Another uid than the tests': the learner's code can neither signal, trace nor read them.
                "uid": sandbox_uid() if os.geteuid() == 0 else None,
                # The tests' group, for the folder both sides share (zygote_main.SHARED_DIR) alone.
                "groups": [tests_uid] if tests_uid is not None else [],
            }
        status, run_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        stdout, stdout_end = os.pipe()
        stderr, stderr_end = os.pipe()
        started = time.monotonic()
        try:
            with memory_files(files) as descriptors, memory_files(learner.files if learner else {}) as theirs:
                fds = [run_end.fileno(), stdout_end, stderr_end, *(fd for fd, _ in [*descriptors, *theirs])]
                socket.send_fds(self._control, [b"run"], fds)
            status.send(json.dumps(request).encode())
        except OSError as exc:
            for fd in (stdout, stderr):
                os.close(fd)
            status.close()
            self.kill()
            raise ZygoteUnavailable(f"the warm jail did not take the run: {exc}") from exc
        finally:
            run_end.close()
            os.close(stdout_end)
            os.close(stderr_end)
        watch = self._watch_total()
        try:
            got = collect(status.fileno(), stdout, stderr, self.limits, started)
        finally:
            if watch is not None:
                watch.stop()
            status.close()
            os.close(stdout)
            os.close(stderr)
        if watch is not None and watch.exceeded:
            return JailRun(
                exit_code=None, stdout=got.stdout, stderr=got.stderr, seconds=time.monotonic() - started,
                warm=True, lost=True, over_total=True,
            )  # fmt: skip
        return self._outcome(got.channel, got.stdout, got.stderr, got.timed_out, got.output_exceeded, started)

    def _watch_total(self) -> cgroups.TotalWatch | None:
        """Without a control group, the watchdog that bounds the run's total instead."""
        if self._group is not None:
            return None
        try:
            root = int(json.loads(self._child_pid.decode() or "{}").get("child-pid", 0))
        except (ValueError, AttributeError):
            root = 0
        if root <= 0:
            return None
        return cgroups.TotalWatch(root, self.limits.total_memory_bytes, self.limits.total_processes, self.kill)

    def _outcome(
        self, channel: bytes, stdout: bytes, stderr: bytes, timed_out: bool, exceeded: bool, started: float
    ) -> JailRun:
        if timed_out or exceeded:
            self.kill()
        exit_code, cpu, error = _report(channel)
        if error is not None:
            # The run could not be isolated, so it never began: this jail cannot serve runs.
            self.kill()
            raise ZygoteUnavailable(f"the warm jail could not isolate a run: {error}")
        lost = not (timed_out or exceeded) and exit_code is None
        if lost or self._process.poll() is not None:
            self.kill()
        return JailRun(
            exit_code=None if (timed_out or exceeded) else exit_code,
            stdout=stdout,
            stderr=stderr,
            timed_out=timed_out,
            output_exceeded=exceeded,
            seconds=time.monotonic() - started,
            warm=True,
            lost=lost,
            cpu_seconds=cpu,
        )

    def kill(self) -> None:
        """End the jail and every process in it; a run it was serving is lost."""
        if not self.usable:
            return  # ended already: its first process's pid may be another process's by now
        self.usable = False
        with contextlib.suppress(OSError):
            self._control.close()
        end_sandbox(self._process, getattr(self, "_child_pid", b""))
        self._info.close()
        if self._group is not None:
            self._group.remove()


def _report(channel: bytes) -> tuple[int | None, float | None, str | None]:
    """The runner's one message, `{"exit", "cpu"}` or `{"error"}`, as (exit code, CPU seconds, error);
    anything else is no report at all."""
    try:
        report = json.loads(channel.decode("utf-8")) if channel else {}
    except ValueError:
        return None, None, None
    if not isinstance(report, dict):
        return None, None, None
    if isinstance(report.get("error"), str):
        return None, None, str(report["error"])
    exit_code, cpu = report.get("exit"), report.get("cpu")
    if not isinstance(exit_code, int):
        return None, None, None
    return exit_code, float(cpu) if isinstance(cpu, int | float) else None, None


class _Pool:
    """The warm jails of this process, by configuration; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._idle: dict[Key, list[Zygote]] = {}
        self._impossible: dict[Key, str] = {}
        # bwrap's --die-with-parent follows the thread that started it, not the process: jails are
        # started in a thread of their own, which lasts as long as the process does.
        self._starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aigt-warm-jails")

    def run(
        self,
        key: Key,
        argv: Sequence[str],
        files: Mapping[str, str],
        env: Mapping[str, str],
        learner: LearnerProcess | None = None,
    ) -> JailRun | None:
        # A jail that died between runs is found out as the run is handed over: one more try.
        for attempt in range(2):
            zygote = self._acquire(key)
            if zygote is None:
                return None
            try:
                return zygote.run(argv, files, env, learner)
            except ZygoteUnavailable as exc:
                if attempt:
                    self._give_up(key, str(exc))
            finally:
                self._release(key, zygote)
        return None

    def _acquire(self, key: Key) -> Zygote | None:
        with self._lock:
            if self._pid != os.getpid():
                # A forked process must not share its parent's jails: it starts its own.
                self._pid, self._idle = os.getpid(), {}
                self._starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aigt-warm-jails")
            if key in self._impossible:
                return None
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
        try:
            return self._starter.submit(Zygote, key).result()
        except ZygoteUnavailable as exc:
            self._give_up(key, str(exc))
            return None

    def _release(self, key: Key, zygote: Zygote) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if zygote.usable and len(idle) < _IDLE_PER_KEY:
                idle.append(zygote)
                return
        if zygote.usable:
            zygote.kill()

    def _give_up(self, key: Key, reason: str) -> None:
        with self._lock:
            if key in self._impossible:
                return
            self._impossible[key] = reason
        logger.warning("goals' tests start in cold jails: %s", reason)

    def close(self) -> None:
        with self._lock:
            zygotes = [zygote for idle in self._idle.values() for zygote in idle]
            self._idle = {}
        for zygote in zygotes:
            zygote.kill()


_pool = _Pool()
atexit.register(_pool.close)


def run_warm(
    bwrap: str,
    limits: JailLimits,
    hidden: tuple[str, ...],
    argv: Sequence[str],
    files: Mapping[str, str],
    runtimes: Iterable[str],
    environment: Mapping[str, str],
    learner: LearnerProcess | None = None,
) -> JailRun | None:
    """The run forked from a warm jail, or None when it must start cold (not Python's runtimes, or no
    warm jail here)."""
    wanted = tuple(sorted(set(runtimes) | (set(python_runtimes()) if learner is not None else set())))
    if not set(python_runtimes()) <= set(wanted):
        return None
    return _pool.run((bwrap, hidden, wanted, limits), argv, files, environment, learner)


def cold_reasons() -> list[str]:
    """Why warm jails of this process could not serve runs, which then start cold (empty while they can)."""
    with _pool._lock:
        return list(_pool._impossible.values())
