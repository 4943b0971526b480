"""Run an untrusted program inside bubblewrap, with resource limits, and collect its output.

The jail (see docs/sandbox.md):
- its own network, PID, IPC and UTS namespaces: no network at all (not even the host's loopback,
  so neither the API nor PostgreSQL), no view of the host's processes;
- a read-only view of `/usr` and of the interpreters it needs (the project's Python prefix and
  virtual environment, node's install prefix); nothing else of the host, so no `AIGT_HOME`, no
  home directories, no `/etc`; a data folder that lies under one of those paths anyway is hidden
  behind an empty tmpfs;
- a private, size-capped tmpfs at `/tmp`; the files it is given sit read-only in `/tmp/run`;
- `prlimit` caps CPU time, address space, processes, file size and open files; when the server
  runs as root, `setpriv` drops to an unprivileged uid of its own before the program starts, since
  the kernel never applies the process limit to root;
- the caller caps wall time and output, and killing bwrap kills everything inside: bwrap is PID 1
  of the sandbox's namespace (`--die-with-parent`), and the kernel ends every process of a PID
  namespace when its first process ends.

A run whose runtimes include this Python starts warm (`zygote`): the same jail, kept running with
pytest and coverage imported, forks it into namespaces, a /tmp and limits of its own. Where a warm
jail cannot start, runs start cold, as described above.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from ai_goals_tracker.sandbox import zygote
from ai_goals_tracker.sandbox.bwrap import (
    KILLED_BY_CPU_LIMIT,
    RUN_DIR,
    SANDBOX_UID_BASE,
    JailLimits,
    JailRun,
    LearnerProcess,
    SandboxUnavailable,
    collect,
    command,
    end_sandbox,
    executable,
    memory_files,
    node_runtime,
    python_executable,
    python_runtimes,
    rlimits,
    sandbox_uid,
    tool,
)

# The jail's public names, wherever they are defined.
__all__ = [
    "KILLED_BY_CPU_LIMIT",
    "RUN_DIR",
    "SANDBOX_UID_BASE",
    "Jail",
    "JailLimits",
    "JailRun",
    "LearnerProcess",
    "SandboxStatus",
    "SandboxUnavailable",
    "node_runtime",
    "python_executable",
    "python_runtimes",
]

_LIMIT_TOOLS = ("prlimit", "setpriv")


@dataclass(frozen=True, slots=True)
class SandboxStatus:
    available: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Jail:
    """Where bwrap is, what the program may see, and how far it may go."""

    bwrap: str = "bwrap"
    limits: JailLimits = field(default_factory=JailLimits)
    # Paths the sandbox must never show, even when they sit under a runtime path it binds.
    hidden: tuple[str, ...] = ()
    # Start runs of this Python from a warm jail when one can start here (see `zygote`).
    warm: bool = True

    def status(self) -> SandboxStatus:
        return _probe(self.bwrap, self.hidden)

    def run(
        self,
        argv: Sequence[str],
        files: Mapping[str, str],
        *,
        runtimes: Iterable[str] = (),
        environment: Mapping[str, str] | None = None,
        learner: LearnerProcess | None = None,
    ) -> JailRun:
        """`argv` inside the jail with `files` (name → text) in RUN_DIR, its working directory.

        `runtimes` are host folders the program needs read-only (an interpreter's prefix). With
        `learner`, the learner's program runs beside it in a jail of its own (another uid, its own PID,
        mount, network and IPC namespaces, its own /tmp), the two joined by a socket on fd 3: that needs
        a warm jail, and where none can start the run is refused (SandboxUnavailable), never run together.
        Raises SandboxUnavailable when the jail cannot be built; never runs anything outside it.
        """
        status = self.status()
        if not status.available:
            raise SandboxUnavailable(status.detail)
        if learner is not None:
            outcome = zygote.run_warm(
                self.bwrap, self.limits, self.hidden, argv, files, runtimes, environment or {}, learner
            )
            if outcome is None:
                reason = next(iter(zygote.cold_reasons()), "no warm jail")
                raise SandboxUnavailable(f"the tests cannot be kept apart from the learner's code here: {reason}")
            return outcome
        if self.warm:
            outcome = zygote.run_warm(self.bwrap, self.limits, self.hidden, argv, files, runtimes, environment or {})
            if outcome is not None:
                return outcome
        return self._run(argv, files, runtimes, environment or {})

    def _run(
        self, argv: Sequence[str], files: Mapping[str, str], runtimes: Iterable[str], environment: Mapping[str, str]
    ) -> JailRun:
        bwrap = executable(self.bwrap)
        info_read, info_write = os.pipe()
        try:
            with memory_files(files) as descriptors:
                arguments = command(
                    bwrap,
                    self.limits,
                    self.hidden,
                    info_write,
                    runtimes,
                    _given_files(descriptors),
                    environment,
                    [*_limited(self.limits), *argv],
                )
                started = time.monotonic()
                process = subprocess.Popen(  # noqa: S603  (bwrap, with an argument list we built)
                    arguments,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    pass_fds=[info_write, *(fd for fd, _ in descriptors)],
                    start_new_session=True,
                )
        finally:
            os.close(info_write)
        with os.fdopen(info_read, "rb") as info:
            return _supervise(process, info, self.limits, started)


def _given_files(descriptors: Sequence[tuple[int, str]]) -> list[str]:
    args = ["--perms", "0755", "--dir", RUN_DIR]
    for fd, name in descriptors:
        args += ["--perms", "0444", "--file", str(fd), f"{RUN_DIR}/{name}"]
    return [*args, "--chdir", RUN_DIR]


def _limited(limits: JailLimits) -> list[str]:
    prlimit = [tool("prlimit"), *(f"--{name}={soft}:{hard}" for name, (soft, hard) in rlimits(limits).items()), "--"]
    if os.geteuid() != 0:
        return prlimit
    uid = sandbox_uid()
    drop = [tool("setpriv"), f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    drop += ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return prlimit + drop


def _supervise(process: subprocess.Popen[bytes], info: BinaryIO, limits: JailLimits, started: float) -> JailRun:
    """Read the pipes within the output cap until the program ends or its time is up."""
    assert process.stdout is not None and process.stderr is not None
    # bwrap's --info-fd ends with the sandbox's first process, which must be gone before we return.
    got = collect(info.fileno(), process.stdout.fileno(), process.stderr.fileno(), limits, started)
    if got.timed_out or got.output_exceeded:
        end_sandbox(process, got.channel)
    exit_code = process.wait()
    process.stdout.close()
    process.stderr.close()
    return JailRun(
        exit_code=None if (got.timed_out or got.output_exceeded) else exit_code,
        stdout=got.stdout,
        stderr=got.stderr,
        timed_out=got.timed_out,
        output_exceeded=got.output_exceeded,
        seconds=time.monotonic() - started,
    )


_probes: dict[tuple[str, tuple[str, ...]], SandboxStatus] = {}
_probes_lock = threading.Lock()


def _probe(bwrap: str, hidden: tuple[str, ...]) -> SandboxStatus:
    """Once per process and configuration: does a jail actually start here? Callers that arrive
    while the first probe runs wait for its answer instead of starting jails of their own."""
    with _probes_lock:
        if (bwrap, hidden) not in _probes:
            _probes[(bwrap, hidden)] = _trial(bwrap, hidden)
        return _probes[(bwrap, hidden)]


def _trial(bwrap: str, hidden: tuple[str, ...]) -> SandboxStatus:
    path = shutil.which(bwrap)
    if path is None:
        return SandboxStatus(False, f"sandbox not available: {bwrap} (bubblewrap) is not installed")
    try:
        for name in _LIMIT_TOOLS if os.geteuid() == 0 else _LIMIT_TOOLS[:1]:
            tool(name)
        version = subprocess.run(  # noqa: S603
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
        # The cheapest program there is: the trial is about namespaces, mounts and limits, not Python.
        trial = Jail(bwrap=bwrap, hidden=hidden)._run([tool("true")], {}, (), {})
    except (SandboxUnavailable, OSError, subprocess.SubprocessError) as exc:
        return SandboxStatus(False, f"sandbox not available: {exc}")
    if trial.exit_code != 0:
        reason = trial.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["it did not start"]
        return SandboxStatus(False, f"sandbox not available: bubblewrap failed ({reason[0]})")
    return SandboxStatus(True, version or "bubblewrap")
