"""The parts jails are built from: bwrap's arguments, the limits, and the watch over a run's output.

Cold jails (`jail`) and warm ones (`zygote`) share them; docs/sandbox.md describes both.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

RUN_DIR = "/tmp/run"  # noqa: S108  (inside the sandbox's own tmpfs)
# Sandboxed programs run as uids from here up when the server is root, one per run, so the process
# limit counts only that run's processes. Far above any uid a system hands out.
SANDBOX_UID_BASE = 2_000_000_000
_UID_SPAN = 100_000_000
_STDERR_CAP = 64 * 1024


class SandboxUnavailable(Exception):
    """bubblewrap (or the limit tools) is missing or cannot create namespaces here: nothing is run."""


@dataclass(frozen=True, slots=True)
class JailLimits:
    wall_seconds: float = 20.0
    cpu_seconds: int = 15
    # Per process: the address space, which bounds what it can allocate.
    memory_bytes: int = 1024 * 1024 * 1024
    # Threads count as processes for the kernel: a Python or node runtime uses about a dozen.
    processes: int = 64
    output_bytes: int = 1024 * 1024
    file_bytes: int = 16 * 1024 * 1024
    tmp_bytes: int = 64 * 1024 * 1024
    open_files: int = 256
    # The whole run, whatever it forks: enforced by a control group where one can be made (`cgroups`).
    total_memory_bytes: int = 1024 * 1024 * 1024
    total_processes: int = 64


@dataclass(frozen=True, slots=True)
class LearnerProcess:
    """The learner's side of a run: its program and files, in a jail of its own beside the tests'."""

    argv: Sequence[str]
    files: Mapping[str, str]
    environment: Mapping[str, str]


# bwrap answers 128 + N for a program killed by signal N.
KILLED_BY_CPU_LIMIT = (128 + 24, 128 + 9)


@dataclass(frozen=True, slots=True)
class JailRun:
    exit_code: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    output_exceeded: bool = False
    seconds: float = 0.0
    # Forked from a warm jail rather than started in a jail of its own.
    warm: bool = False
    # The warm jail ended before the run did: whatever the run said, it did not finish.
    lost: bool = False
    # What the run's processes spent, as the warm jail counts it (a cold jail's escape the server's count).
    cpu_seconds: float | None = None
    # Ended for holding more memory or processes in total than a run may (the watchdog, `cgroups`).
    over_total: bool = False


def executable(bwrap: str) -> str:
    """bwrap's path, by a name on the PATH or a path."""
    found = shutil.which(bwrap)
    if found is None:
        raise SandboxUnavailable(f"{bwrap} not found")
    return found


def command(
    bwrap: str,
    limits: JailLimits,
    hidden: Iterable[str],
    info_fd: int,
    runtimes: Iterable[str],
    setup: Sequence[str],
    environment: Mapping[str, str],
    program: Sequence[str],
) -> list[str]:
    """bwrap's arguments: the namespaces, the view of the host, then `setup`, the environment, `program`."""
    runtimes = list(runtimes)
    # Mounts apply in order: the private /tmp first, so that a runtime under /tmp stays visible.
    return [
        bwrap,
        *_namespaces(),
        "--info-fd",
        str(info_fd),
        *_private_tmp(limits),
        *_runtime_view(runtimes),
        *_hidden_paths(hidden, runtimes),
        *setup,
        *_environment(environment),
        "--",
        *program,
    ]


def _namespaces() -> list[str]:
    common = ["--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid", "--unshare-net"]
    common += ["--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    # As root bwrap needs no user namespace, and one would map only uid 0: setpriv could then not
    # switch to the run's own uid. Anyone else gets one, which is what lets bwrap work unprivileged.
    return common if os.geteuid() == 0 else [*common, "--unshare-user"]


def _runtime_view(runtimes: Iterable[str]) -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    # Merged-/usr systems link /bin, /lib… into /usr; older ones have real folders.
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        path = Path(top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    runtimes = _outside_usr(runtimes)
    # bwrap would create the folders leading to a bind as 0700 root: the sandbox's uid could not pass.
    parents = sorted({str(parent) for runtime in runtimes for parent in Path(runtime).parents if str(parent) != "/"})
    for parent in parents:
        args += ["--perms", "0755", "--dir", parent]
    for runtime in runtimes:
        args += ["--ro-bind", runtime, runtime]
    return [*args, "--proc", "/proc", "--dev", "/dev"]


def _outside_usr(runtimes: Iterable[str]) -> list[str]:
    resolved = sorted({str(Path(path).resolve()) for path in runtimes})
    return [path for path in resolved if not _is_under(path, "/usr") and Path(path).is_dir()]


def bound_under_tmp(runtimes: Iterable[str]) -> list[str]:
    """The runtime folders a jail binds under its private /tmp (which a warm run replaces with its own)."""
    return [path for path in _outside_usr(runtimes) if _is_under(path, "/tmp")]  # noqa: S108


def _is_under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _hidden_paths(hidden: Iterable[str], runtimes: Iterable[str]) -> list[str]:
    bound = ["/usr", *_outside_usr(runtimes)]
    args: list[str] = []
    for path in sorted({str(Path(p).resolve()) for p in hidden}):
        if Path(path).is_dir() and any(_is_under(path, root) for root in bound):
            args += ["--tmpfs", path]
    return args


def _private_tmp(limits: JailLimits) -> list[str]:
    return ["--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]  # noqa: S108


def _environment(extra: Mapping[str, str]) -> list[str]:
    args = ["--clearenv"]
    for name, value in environment_of(extra).items():
        args += ["--setenv", name, value]
    return args


def environment_of(extra: Mapping[str, str]) -> dict[str, str]:
    """The whole environment of a jailed program: nothing of the server's, but for `extra`."""
    base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8"}  # noqa: S108
    return {**base, **extra}


_run_numbers = itertools.count()
_run_numbers_lock = threading.Lock()


def sandbox_uid() -> int:
    with _run_numbers_lock:
        number = next(_run_numbers)
    return SANDBOX_UID_BASE + ((os.getpid() << 12) + (number & 0xFFF)) % _UID_SPAN


def rlimits(limits: JailLimits) -> dict[str, tuple[int, int]]:
    """The (soft, hard) resource limits of a jailed program, by prlimit's names."""
    return {
        # SIGXCPU at the soft limit, SIGKILL a second later for a program that ignores it.
        "cpu": (limits.cpu_seconds, limits.cpu_seconds + 1),
        "as": (limits.memory_bytes, limits.memory_bytes),
        "nproc": (limits.processes, limits.processes),
        "fsize": (limits.file_bytes, limits.file_bytes),
        "nofile": (limits.open_files, limits.open_files),
        "core": (0, 0),
    }


def tool(name: str) -> str:
    # Run inside the jail, where only /usr is visible: resolve it on the host, under /usr.
    for folder in ("/usr/bin", "/usr/sbin"):
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    raise SandboxUnavailable(f"{name} (util-linux) not found under /usr")


@contextmanager
def memory_files(files: Mapping[str, str]) -> Iterator[list[tuple[int, str]]]:
    """Each file as an in-memory descriptor bwrap copies into the sandbox: nothing touches the host disk."""
    descriptors: list[tuple[int, str]] = []
    try:
        for name, text in files.items():
            # Named for no one: a file's own name (the learner's) could be too long or hold a NUL.
            fd = os.memfd_create("aigt-file", 0)
            descriptors.append((fd, name))
            os.write(fd, text.encode("utf-8"))
            os.lseek(fd, 0, os.SEEK_SET)
        yield descriptors
    finally:
        for fd, _ in descriptors:
            os.close(fd)


@dataclass(frozen=True, slots=True)
class Collected:
    channel: bytes
    stdout: bytes
    stderr: bytes
    timed_out: bool
    output_exceeded: bool


def collect(channel: int, stdout: int, stderr: int, limits: JailLimits, started: float) -> Collected:
    """Read a run's descriptors until each has ended, its time is up or its output is over the cap.

    `channel` is the jail's own word on the run (bwrap's info, a warm run's status), kept whole.
    """
    deadline = started + limits.wall_seconds
    chunks: dict[int, list[bytes]] = {0: [], 1: [], 2: []}
    sizes = {0: 0, 1: 0, 2: 0}
    timed_out = exceeded = False
    with selectors.DefaultSelector() as selector:
        for stream, fd in ((0, channel), (1, stdout), (2, stderr)):
            selector.register(fd, selectors.EVENT_READ, stream)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            for key, _ in selector.select(timeout=min(remaining, 1.0)):
                data = os.read(key.fd, 65536)
                stream = key.data
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                sizes[stream] += len(data)
                if stream == 1 and sizes[1] > limits.output_bytes:
                    exceeded = True
                    break
                if stream != 2 or sizes[2] <= _STDERR_CAP:
                    chunks[stream].append(data)
            if exceeded:
                break
    return Collected(
        channel=b"".join(chunks[0]),
        stdout=b"".join(chunks[1])[: limits.output_bytes],
        stderr=b"".join(chunks[2])[:_STDERR_CAP],
        timed_out=timed_out,
        output_exceeded=exceeded,
    )


def end_sandbox(process: subprocess.Popen[bytes], info: bytes) -> None:
    """Kill the sandbox's first process, and wait until the kernel has ended every process under it."""
    try:
        first = int(json.loads(info.decode() or "{}").get("child-pid", 0))
    except ValueError:
        first = 0
    if first > 0:
        with contextlib.suppress(ProcessLookupError):
            os.kill(first, signal.SIGKILL)
    process.kill()
    process.wait()
    deadline = time.monotonic() + 10
    # Its namespace's other processes die as it exits; it is a zombie (or gone) once they all have.
    while first > 0 and time.monotonic() < deadline and _alive(first):
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def python_executable() -> str:
    """This interpreter by a path that holds inside the jail: `..` removed, the venv's link kept."""
    return os.path.abspath(sys.executable)


def python_runtimes() -> list[str]:
    """The folders this interpreter and its installed libraries live in."""
    return sorted({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix})


def node_runtime() -> tuple[str, str] | None:
    """`node` on the PATH and its install prefix, or None when there is none."""
    found = shutil.which("node")
    if found is None:
        return None
    executable = Path(found).resolve()
    return str(executable), str(executable.parent.parent)
