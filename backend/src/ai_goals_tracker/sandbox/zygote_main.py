"""Runs inside the sandbox, never in the server: the warm start of jailed runs (a fork server).

Started once per warm jail as `python -I -B zygote_main.py CONTROL_FD`, it imports pytest and
coverage, then forks one run per request. It never reads a run's files or settings: it receives
descriptors and forks. The fork (the run's *runner*) reads the request and, before anything of the
learner's runs, gives the run what a cold jail gives it:

- its own PID, mount, IPC, UTS and network namespaces. The run's first process (its *init*, PID 1)
  mounts a /proc that shows that run alone and only reaps; when the program ends, init ends, and the
  kernel ends every other process of the run;
- a fresh size-capped tmpfs at /tmp with the run's files read-only in /tmp/run (mode 0444, in a
  folder of the jail's owner, as bwrap gives them), a fresh /dev/shm, and nothing else of the jail
  it can write to, so nothing one run writes is there for the next;
- the rlimits, then (as root) a uid of its own, no capabilities and no_new_privs.

The program is PID 2: a Python script given as `python -I -B script …` runs in this interpreter,
where pytest and coverage are already imported; anything else is executed.
Only the standard library, pytest and coverage.py may be imported here.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import gc
import importlib.util
import json
import os
import resource
import runpy
import shutil
import signal
import socket
import struct
import sys
import tempfile
import traceback
from typing import Any

RUN_DIR = "/tmp/run"  # noqa: S108  (inside the run's own tmpfs)
# Where the learner's files wait, readable by root only, until the learner's own /tmp is made.
LEARNER_STAGING = "/tmp/.aigt-learner"  # noqa: S108
# The one folder both sides of a run see (pytest's tmp_path lives there): files the tests write for the
# learner's code, and files it writes for them. Its group is the tests' gid, which the learner also has.
SHARED_DIR = "/tmp/.aigt-shared"  # noqa: S108
# The socket between the tests and the learner's process, in each of them.
CHANNEL_FD = 3
_REQUEST_BYTES = 1 << 20
_MAX_FILES = 64

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUTS = 0x04000000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_CAPABILITY_VERSION_3 = 0x20080522
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1
# What bwrap's --proc covers read-only: the kernel's knobs and its direct device access.
_PROC_COVERED = ("sys", "sysrq-trigger", "irq", "bus")
_RESOURCES = {
    "cpu": resource.RLIMIT_CPU,
    "as": resource.RLIMIT_AS,
    "nproc": resource.RLIMIT_NPROC,
    "fsize": resource.RLIMIT_FSIZE,
    "nofile": resource.RLIMIT_NOFILE,
    "core": resource.RLIMIT_CORE,
}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_libc.capset.argtypes = [ctypes.c_void_p, ctypes.c_void_p]


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _mount(source: str | None, target: str, kind: str | None, flags: int, data: str | None = None) -> None:
    encoded = [value.encode() if value is not None else None for value in (source, target, kind, data)]
    _check(_libc.mount(encoded[0], encoded[1], encoded[2], flags, encoded[3]), f"mount {target}")


def _remount_read_only(path: str) -> None:
    # A bind remount changes this mount namespace's view only; the flags already set must be kept.
    kept = os.statvfs(path).f_flag & (_MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    _mount(None, path, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | kept)


def _warm(reporter: str) -> None:
    """Run one small test module as runs do, so that a run pays only for its own tests: pytest,
    coverage and the boundary imported, with everything they load lazily and the caches they fill.
    `reporter` is the program runs use (`pytest_main.py`); the boundary (`bridge.py`) sits beside it."""
    bridge = importlib.util.spec_from_file_location("aigt_bridge", os.path.join(os.path.dirname(reporter), "bridge.py"))
    assert bridge is not None and bridge.loader is not None
    sys.modules["aigt_bridge"] = importlib.util.module_from_spec(bridge)
    bridge.loader.exec_module(sys.modules["aigt_bridge"])
    specification = importlib.util.spec_from_file_location("_aigt_warm_reporter", reporter)
    assert specification is not None and specification.loader is not None
    program = importlib.util.module_from_spec(specification)
    specification.loader.exec_module(program)
    folder = tempfile.mkdtemp()
    module, tests = os.path.join(folder, "aigt_warm_up.py"), os.path.join(folder, "test_aigt_warm_up.py")
    with open(module, "w") as handle:
        handle.write("def one():\n    return 1\n")
    with open(tests, "w") as handle:
        handle.write("import aigt_warm_up\n\n\ndef test_one():\n    assert aigt_warm_up.one() == 1\n")
    # As pytest runs have it (testrun): the server's own pytest plugins are not for learners' tests.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    import coverage
    import coverage.collector

    if hasattr(coverage.collector, "short_stack"):
        coverage.collector.short_stack = lambda *args, **kwargs: ""
    measured = coverage.Coverage(data_file=None, include=[module], config_file=False)
    measured.set_option("run:disable_warnings", ["no-data-collected", "module-not-imported"])
    measured.start()
    program.main("@warm@", "", tests)
    measured.stop()
    measured.analysis2(module)
    # What pytest printed is still in sys.stdout's buffer: every run would write it out as its own.
    sys.stdout.flush()
    sys.stderr.flush()
    sys.path.remove(folder)
    for name in ("aigt_warm_up", "test_aigt_warm_up"):
        sys.modules.pop(name, None)
    shutil.rmtree(folder)
    # What the zygote holds now is shared by every run: the collector need not walk it in each one.
    gc.collect()
    gc.freeze()


def serve(control: socket.socket) -> int:
    # Runners are reaped by the kernel as they end: none lingers between runs.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 16, _MAX_FILES + 3)
        except OSError:
            return 1
        if not message:
            return 0  # the server closed its end: the jail ends with us
        runner = os.fork()
        if runner == 0:
            code = 1
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the runner waits for its init's status
                control.close()
                code = _runner(fds)
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)


def _runner(fds: list[int]) -> int:
    run = socket.socket(fileno=fds[0])
    stdout, stderr, files = fds[1], fds[2], fds[3:]
    try:
        request: dict[str, Any] = json.loads(run.recv(_REQUEST_BYTES))
        _isolate(request, files)
        init = os.fork()
        if init == 0:
            code = 1
            try:
                run.close()
                code = _init(request, stdout, stderr)
            finally:
                os._exit(code)
    except BaseException as exc:  # whatever went wrong, the server must hear it
        run.send(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
        return 1
    os.close(stdout)
    os.close(stderr)
    _, status = os.waitpid(init, 0)
    # The run's processes have all been reaped into init's, and init into ours.
    spent = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(usage.ru_utime + usage.ru_stime for usage in spent)
    run.send(json.dumps({"exit": _exit_code(status), "cpu": round(cpu, 4)}).encode())
    return 0


def _exit_code(status: int) -> int:
    # As bwrap answers: the program's code, or 128 + N for a program killed by signal N.
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def _isolate(request: dict[str, Any], files: list[int]) -> None:
    """New namespaces and a fresh view of the files for this run, before any of its code runs."""
    _check(_libc.unshare(_CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWIPC | _CLONE_NEWUTS | _CLONE_NEWNET), "unshare")
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    # Runtimes the jail binds under /tmp stay visible through the run's own /tmp, as in a cold jail.
    kept = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in request["under_tmp"]]
    tmpfs = f"size={int(request['tmp_bytes'])},mode=1777"
    _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, tmpfs)  # noqa: S108  (the run's own)
    for path, fd in kept:
        os.makedirs(path, mode=0o755)
        _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)
        os.close(fd)
    os.mkdir(RUN_DIR)
    os.chmod(RUN_DIR, 0o755)  # noqa: S103  (readable by the run's uid, writable by none)
    names = list(request["files"])
    learner = request.get("learner")
    learner_names = list(learner["files"]) if learner else []
    if len(names) + len(learner_names) != len(files):
        raise ValueError("the request names other files than it sends")
    for fd, name in zip(files[: len(names)], names, strict=True):
        _copy(fd, RUN_DIR, name)
        os.close(fd)
    if learner:
        # The learner's files wait where only root may look, until its own jail takes them (`_learner`).
        os.mkdir(LEARNER_STAGING, 0o700)
        os.mkdir(SHARED_DIR)
        if request.get("uid") is not None:
            os.chown(SHARED_DIR, 0, int(request["uid"]))
            os.chmod(SHARED_DIR, 0o2770)  # noqa: S103  (the tests' group, which the learner has)
        else:
            os.chmod(SHARED_DIR, 0o777)  # noqa: S103  (one uid on both sides: the namespaces keep them apart)
        for fd, name in zip(files[len(names) :], learner_names, strict=True):
            _copy(fd, LEARNER_STAGING, name)
            os.close(fd)
    shm = "/dev/shm"  # noqa: S108  (the run's own)
    if os.path.isdir(shm):
        _mount("tmpfs", shm, "tmpfs", _MS_NOSUID | _MS_NODEV, tmpfs)
    if request.get("uid") is None:
        # The run keeps the jail's uid, which owns the folders bwrap made: they must not be
        # writable, or one run could leave files for the next. A run with a uid of its own owns nothing.
        for path in ("/", "/dev"):
            _remount_read_only(path)
    _loopback_up()


def _copy(fd: int, folder: str, name: str) -> None:
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"not a file name: {name!r}")
    path = os.path.join(folder, name)
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    try:
        while os.sendfile(target, fd, None, 1 << 20) > 0:
            pass
    finally:
        os.close(target)
    os.chmod(path, 0o444)


def _loopback_up() -> None:
    """A network namespace starts with its loopback down: bring it up, as bwrap does."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(probe, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(probe, _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))


def _init(request: dict[str, Any], stdout: int, stderr: int) -> int:
    """PID 1 of the run: its /proc, the learner's process (if the run has one), then the program as
    PID 2; ends when the program does, and with it every process of the run, the learner's too."""
    _default_signals()
    _mount_proc()
    channel: int | None = None
    learner = request.get("learner")
    if learner:
        tests_end, learner_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        keeper = os.fork()
        if keeper == 0:
            code = 1
            try:
                tests_end.close()
                os.close(stdout)
                os.close(stderr)
                code = _learner(learner, request, learner_end.fileno())
            finally:
                os._exit(code)
        learner_end.close()
        channel = tests_end.detach()
    program = os.fork()
    if program == 0:
        code = 1
        try:
            code = _program(request, stdout, stderr, channel)
        finally:
            os._exit(code)
    os.close(stdout)
    os.close(stderr)
    if channel is not None:
        os.close(channel)
    while True:
        pid, status = os.wait()
        if pid == program:
            return _exit_code(status)


def _default_signals() -> None:
    for number in signal.valid_signals():
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            with contextlib.suppress(OSError, ValueError):
                signal.signal(number, signal.SIG_DFL)


def _mount_proc() -> None:
    _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    for name in _PROC_COVERED:
        path = f"/proc/{name}"
        if os.path.exists(path):
            _mount(path, path, None, _MS_BIND | _MS_REC)
            _remount_read_only(path)


def _learner(learner: dict[str, Any], request: dict[str, Any], channel: int) -> int:
    """The learner's process, out of the tests' reach: its own PID, mount, network and IPC namespaces
    (it sees no process of the tests and no file of theirs), a /tmp of its own holding only its files,
    its own uid; the socket to the tests is all it shares with them."""
    staged = {name: os.open(os.path.join(LEARNER_STAGING, name), os.O_RDONLY) for name in learner["files"]}
    _check(_libc.unshare(_CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWIPC | _CLONE_NEWNET | _CLONE_NEWUTS), "unshare")
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    shown = [*request["under_tmp"], SHARED_DIR]
    kept = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in shown]
    tmpfs = f"size={int(request['tmp_bytes'])},mode=1777"
    _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, tmpfs)  # noqa: S108  (the learner's own)
    for path, fd in kept:
        os.makedirs(path, mode=0o755)
        _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)
        os.close(fd)
    os.mkdir(RUN_DIR)
    os.chmod(RUN_DIR, 0o755)  # noqa: S103  (readable by the learner's uid, writable by none)
    for name, fd in staged.items():
        _copy(fd, RUN_DIR, name)
        os.close(fd)
    shm = "/dev/shm"  # noqa: S108  (the learner's own)
    if os.path.isdir(shm):
        _mount("tmpfs", shm, "tmpfs", _MS_NOSUID | _MS_NODEV, tmpfs)
    _loopback_up()
    init = os.fork()
    if init == 0:
        code = 1
        try:
            _mount_proc()
            program = os.fork()
            if program == 0:
                status = 1
                try:
                    quiet = os.open(os.devnull, os.O_WRONLY)
                    status = _program({**request, **learner}, quiet, quiet, channel)
                finally:
                    os._exit(status)
            os.close(channel)
            while True:
                pid, status = os.wait()
                if pid == program:
                    code = _exit_code(status)
                    break
        finally:
            os._exit(code)
    os.close(channel)
    _, status = os.waitpid(init, 0)
    return _exit_code(status)


def _program(request: dict[str, Any], stdout: int, stderr: int, channel: int | None) -> int:
    os.setsid()
    quiet = os.open(os.devnull, os.O_RDONLY)
    os.dup2(quiet, 0)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    if channel is not None:
        os.dup2(channel, CHANNEL_FD)
    os.closerange(CHANNEL_FD + 1 if channel is not None else 3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    os.chdir(RUN_DIR)
    # Files either side writes in the shared folder are its group's to read and write.
    os.umask(0o007)
    for name, (soft, hard) in request["limits"].items():
        resource.setrlimit(_RESOURCES[name], (int(soft), int(hard)))
    _drop_privileges(request.get("uid"), request.get("groups") or [])
    os.environ.clear()
    os.environ.update(request["environment"])
    argv: list[str] = request["argv"]
    if argv[0] == sys.executable and argv[1:3] == ["-I", "-B"] and len(argv) > 3 and not argv[3].startswith("-"):
        # The signals as a freshly started Python sets them (init left every one at its default).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for number in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(number, signal.SIG_IGN)
        sys.argv = argv[3:]
        return _run_script(argv[3])
    os.execvpe(argv[0], argv, request["environment"])  # noqa: S606  (the program the run is for)


def _drop_privileges(uid: int | None, groups: list[int]) -> None:
    """What setpriv does for a cold jail: no capabilities, none to regain, and the run's own uid."""
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    with open("/proc/sys/kernel/cap_last_cap") as last:
        for capability in range(int(last.read()) + 1):
            _check(_libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0), "drop the bounding set")
    if uid is not None:
        os.setgroups([int(group) for group in groups])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    header = struct.pack("Ii", _CAPABILITY_VERSION_3, 0)
    data = bytes(24)  # effective, permitted and inheritable, all empty, for both 32-bit halves
    _check(_libc.capset(header, data), "capset")
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _verify_dropped(uid)
    _install_seccomp()


# System calls no test needs, refused with EPERM: new namespaces (so no nested user namespace),
# mounts, tracing other processes, the kernel's keyrings, BPF, perf events, io_uring, modules.
_DENIED_X86_64 = {
    101: "ptrace", 103: "syslog", 134: "uselib", 153: "vhangup", 155: "pivot_root",
    159: "adjtimex", 161: "chroot", 163: "acct", 164: "settimeofday", 165: "mount", 166: "umount2",
    167: "swapon", 168: "swapoff", 169: "reboot", 170: "sethostname", 171: "setdomainname", 172: "iopl",
    173: "ioperm", 175: "init_module", 176: "delete_module", 179: "quotactl", 212: "lookup_dcookie",
    227: "clock_settime", 246: "kexec_load", 248: "add_key", 249: "request_key", 250: "keyctl",
    272: "unshare", 298: "perf_event_open", 300: "fanotify_init", 303: "name_to_handle_at",
    304: "open_by_handle_at", 305: "clock_adjtime", 308: "setns", 310: "process_vm_readv",
    311: "process_vm_writev", 312: "kcmp", 313: "finit_module", 320: "kexec_file_load", 321: "bpf",
    323: "userfaultfd", 425: "io_uring_setup", 426: "io_uring_enter", 427: "io_uring_register",
    428: "open_tree", 429: "move_mount", 430: "fsopen", 431: "fsconfig", 432: "fsmount", 433: "fspick",
    438: "pidfd_getfd", 442: "mount_setattr",
}  # fmt: skip
_CLONE_X86_64, _CLONE3_X86_64 = 56, 435
_AUDIT_ARCH_X86_64 = 0xC000003E
_NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
_SECCOMP_RET_ALLOW, _SECCOMP_RET_KILL_PROCESS, _SECCOMP_RET_ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
_EPERM, _ENOSYS = 1, 38
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2


def seccomp_supported() -> bool:
    return os.uname().machine == "x86_64"


def _seccomp_program() -> list[tuple[int, int, int, int]]:
    """A classic BPF filter: (code, jump if true, jump if false, k)."""
    load, jump_equal, jump_set, jump_at_least, give = 0x20, 0x15, 0x45, 0x35, 0x06
    program = [(load, 0, 0, 4), (jump_equal, 1, 0, _AUDIT_ARCH_X86_64), (give, 0, 0, _SECCOMP_RET_KILL_PROCESS)]
    program.append((load, 0, 0, 0))
    # The x32 ABI's numbers (bit 30) are refused outright.
    program += [(jump_at_least, 0, 1, 0x40000000), (give, 0, 0, _SECCOMP_RET_ERRNO | _EPERM)]
    # clone3 passes its flags in memory a filter cannot read: refused as absent, glibc falls back to clone.
    program += [(jump_equal, 0, 1, _CLONE3_X86_64), (give, 0, 0, _SECCOMP_RET_ERRNO | _ENOSYS)]
    program += [(jump_equal, 0, 4, _CLONE_X86_64), (load, 0, 0, 16), (jump_set, 0, 1, _NAMESPACE_FLAGS)]
    program += [(give, 0, 0, _SECCOMP_RET_ERRNO | _EPERM), (give, 0, 0, _SECCOMP_RET_ALLOW)]
    for number in sorted(_DENIED_X86_64):
        program += [(jump_equal, 0, 1, number), (give, 0, 0, _SECCOMP_RET_ERRNO | _EPERM)]
    program.append((give, 0, 0, _SECCOMP_RET_ALLOW))
    return program


def _install_seccomp() -> None:
    if not seccomp_supported():
        raise PermissionError(f"no seccomp filter for {os.uname().machine}: the run is refused")
    instructions = _seccomp_program()
    filters = b"".join(struct.pack("HBBI", *instruction) for instruction in instructions)
    buffer = ctypes.create_string_buffer(filters, len(filters))
    program = struct.pack("HxxxxxxP", len(instructions), ctypes.addressof(buffer))
    fprog = ctypes.create_string_buffer(program, len(program))
    _check(_libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0), "seccomp")


def _verify_dropped(uid: int | None) -> None:
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status.read().splitlines() if ":" in line)
    capabilities = [fields[name].strip() for name in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")]
    if any(int(value, 16) for value in capabilities) or fields["NoNewPrivs"].strip() != "1":
        raise PermissionError("the run kept privileges")
    if uid is not None and {int(value) for value in fields["Uid"].split()} != {uid}:
        raise PermissionError("the run kept another uid")


def _run_script(path: str) -> int:
    """`python -I -B path`, in this interpreter: the same exit code and the same report of a crash."""
    code: int
    try:
        runpy.run_path(path, run_name="__main__")
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:  # reported as Python reports it, then the exit code says so
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    return code


def main(control_fd: int, reporter: str) -> int:
    control = socket.socket(fileno=control_fd)
    _warm(reporter)
    # From here on the zygote says nothing but on its socket: each run has its own stdout and stderr.
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    control.send(b"ready")
    return serve(control)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[2]))
