"""One control group per warm jail: the memory and the processes of everything a run starts, in total.

Per-process limits (`prlimit`) bound each process; a run that forks many could still hold many times
the memory of one. Where this server may create control groups (it runs as root on cgroup v1 with the
memory and pids controllers, or on cgroup v2 with both delegated), each warm jail gets one, under the
server's own group, and everything it forks is in it: the jail's total memory and number of processes
are capped there, whatever the run does. Elsewhere
`TotalWatch` adds up the memory and threads of a jail's processes every tenth of a second and ends
the jail past either bound; `bounds_in_force()` (shown by `/health`) says which is in force.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_numbers = itertools.count()
_lock = threading.Lock()
_CONTROLLERS = ("memory", "pids")


@dataclass(frozen=True, slots=True)
class Hierarchy:
    version: int
    # The folder our own group is in, per controller (v1) or once (v2).
    parents: dict[str, Path]


@dataclass(frozen=True, slots=True)
class RunGroup:
    """A control group a jail is started in: its `cgroup.procs` files, one per hierarchy."""

    folders: tuple[Path, ...]

    @property
    def procs(self) -> list[str]:
        return [str(folder / "cgroup.procs") for folder in self.folders]

    def remove(self) -> None:
        for folder in self.folders:
            with contextlib.suppress(OSError):
                folder.rmdir()


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(mount point, root within the hierarchy, file system type, super options) of each cgroup mount."""
    found = []
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as mountinfo:
        for line in mountinfo:
            fields = line.split()
            if " - " not in line:
                continue
            after = line.split(" - ", 1)[1].split()
            if len(after) < 3 or after[0] not in ("cgroup", "cgroup2"):
                continue
            found.append((fields[4], fields[3], after[0], set(after[2].split(","))))
    return found


def _own_groups() -> dict[str, str]:
    groups: dict[str, str] = {}
    with contextlib.suppress(OSError), open("/proc/self/cgroup") as cgroup:
        for line in cgroup:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                groups[controller] = path
    return groups


def _inside(mount_point: str, mount_root: str, path: str) -> Path:
    relative = path[len(mount_root) :] if path.startswith(mount_root) else path
    return Path(mount_point) / relative.lstrip("/")


def _find() -> Hierarchy | None:
    if os.geteuid() != 0:
        return None
    mounts, own = _mounts(), _own_groups()
    v1: dict[str, Path] = {}
    for point, root, kind, options in mounts:
        for controller in _CONTROLLERS:
            if kind == "cgroup" and controller in options and controller in own:
                v1[controller] = _inside(point, root, own[controller])
    if set(v1) == set(_CONTROLLERS):
        return Hierarchy(1, v1)
    for point, root, kind, _ in mounts:
        if kind == "cgroup2" and "" in own:
            parent = _inside(point, root, own[""])
            with contextlib.suppress(OSError):
                available = (parent / "cgroup.controllers").read_text().split()
                if set(_CONTROLLERS) <= set(available):
                    return Hierarchy(2, {"": parent})
    return None


_hierarchy: Hierarchy | None = None
_probed = False


def _hierarchy_here() -> Hierarchy | None:
    global _hierarchy, _probed
    with _lock:
        if not _probed:
            _hierarchy, _probed = _find(), True
        return _hierarchy


def create(memory_bytes: int, processes: int) -> RunGroup | None:
    """A new group capped at `memory_bytes` (no swap) and `processes`, or None where none can be made."""
    hierarchy = _hierarchy_here()
    if hierarchy is None:
        return None
    name = f"aigt-jail-{os.getpid()}-{next(_numbers)}"
    made: list[Path] = []
    try:
        if hierarchy.version == 1:
            memory = hierarchy.parents["memory"] / name
            pids = hierarchy.parents["pids"] / name
            for folder in (memory, pids):
                folder.mkdir(mode=0o700)
                made.append(folder)
            (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            swap = memory / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(str(memory_bytes))
            (pids / "pids.max").write_text(str(processes))
        else:
            parent = hierarchy.parents[""]
            with contextlib.suppress(OSError):
                (parent / "cgroup.subtree_control").write_text("+memory +pids")
            folder = parent / name
            folder.mkdir(mode=0o700)
            made.append(folder)
            (folder / "memory.max").write_text(str(memory_bytes))
            with contextlib.suppress(OSError):
                (folder / "memory.swap.max").write_text("0")
            (folder / "pids.max").write_text(str(processes))
    except OSError as exc:
        RunGroup(tuple(made)).remove()
        logger.warning("jails run without a control group of their own: %s", exc)
        return None
    return RunGroup(tuple(made))


def bounds_in_force() -> str:
    """What bounds a run's total memory and processes here, as `/health` says it."""
    hierarchy = _hierarchy_here()
    if hierarchy is None:
        return "watchdog"
    return f"cgroup v{hierarchy.version}"


_WATCH_SECONDS = 0.1
_PAGE = os.sysconf("SC_PAGE_SIZE")


class TotalWatch:
    """Where no control group can be made: every 0.1 s, the resident memory and the threads of all the
    processes under a jail's first process, added up; past either bound, `end` is called (the jail is
    ended, as for a run over its time). Coarser than a control group (a run may overshoot for a tenth
    of a second), but the total stays bounded, whatever the run forks."""

    def __init__(self, root: int, memory_bytes: int, processes: int, end: Callable[[], None]) -> None:
        self.exceeded = False
        self._root, self._memory, self._processes, self._end = root, memory_bytes, processes, end
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="jail-total-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(_WATCH_SECONDS):
            memory, threads = _tree_usage(self._root)
            if memory > self._memory or threads > self._processes:
                self.exceeded = True
                self._end()
                return


def _tree_usage(root: int) -> tuple[int, int]:
    """Resident bytes and threads of every process under `root` (itself excluded)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    memory = threads = 0
    pending = list(children.get(root, []))
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, []))
        with contextlib.suppress(OSError, IndexError, ValueError):
            memory += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
            threads += len(os.listdir(f"/proc/{pid}/task"))
    return memory, threads


def joining(group: RunGroup | None, command: list[str]) -> list[str]:
    """`command`, started from a shell that first moves itself into `group` (so nothing it forks escapes)."""
    if group is None:
        return command
    script = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"'
    return ["/bin/sh", "-c", script, "sh", str(len(group.procs)), *group.procs, *command]
