"""Run review work in helper processes that can be killed.

`ast`, radon, bandit and tree-sitter run in-process code on learner input; a huge or deeply nested
literal can make them recurse, eat memory or spin, and Python threads cannot be interrupted. So a
whole review runs in a long-lived helper process (warm imports keep a review in the millisecond
range), under a memory limit, and a review that overruns its budget kills the helper together with
what it started (ruff); the next review gets a fresh helper. The helper reports the step it is on,
so a timeout can say which analyzer did not finish.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar, cast

T = TypeVar("T")

_WORKER_MODULE = "ai_goals_tracker.review.sandbox_worker"

StepListener = Callable[[str], None]


class SandboxError(Exception):
    """A call did not produce a result."""

    def __init__(self, message: str, *, step: str | None = None) -> None:
        super().__init__(message)
        self.step = step


class SandboxTimeout(SandboxError):
    pass


class SandboxCrash(SandboxError):
    pass


class _Helper:
    """One helper process running `sandbox_worker`, spoken to over a socket pair.

    A plain subprocess rather than `multiprocessing.Process`: `spawn` re-imports the caller's main
    module (which breaks scripts without a `__main__` guard) and `fork` is unsafe in threaded workers.
    Its own session (process group), so that killing it also kills the processes it started.
    """

    def __init__(self, memory_limit_bytes: int) -> None:
        parent_end, child_end = socket.socketpair()
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
        try:
            self._process = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
                [sys.executable, "-m", _WORKER_MODULE, str(child_end.fileno()), str(memory_limit_bytes)],
                pass_fds=[child_end.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=environment,
                start_new_session=True,
            )
        finally:
            child_end.close()
        self._conn = Connection(parent_end.detach())
        self._lock = threading.Lock()
        self.usable = True

    def call(
        self, function: Callable[..., T], args: tuple[Any, ...], timeout: float, on_step: StepListener | None = None
    ) -> T:
        deadline = time.monotonic() + timeout
        step: str | None = None
        try:
            self._conn.send((function, args))
            while True:
                if not self._conn.poll(max(0.0, deadline - time.monotonic())):
                    self.kill()
                    raise SandboxTimeout(f"{function.__name__} exceeded {timeout:g} s", step=step)
                status, value = self._conn.recv()
                if status != "step":
                    break
                step = str(value)
                if on_step is not None:
                    on_step(step)
        except (EOFError, OSError) as exc:
            self.kill()
            raise SandboxCrash(f"{function.__name__} stopped its process", step=step) from exc
        if status == "error":
            raise SandboxError(str(value), step=step)
        return cast(T, value)

    def kill(self) -> None:
        with self._lock:
            self.usable = False
            if self._process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=5)
            self._conn.close()


class Sandbox:
    """A small pool of helper processes; safe to share between threads and event loops."""

    def __init__(self, max_helpers: int = 2, memory_limit_bytes: int = 1536 * 1024 * 1024) -> None:
        self._max_helpers = max_helpers
        self._memory_limit_bytes = memory_limit_bytes
        self._idle: list[_Helper] = []
        self._started = 0
        self._available = threading.Condition()

    def run(self, function: Callable[..., T], *args: Any, timeout: float, on_step: StepListener | None = None) -> T:
        """`function(*args)` in a helper process; raises SandboxError when it fails, overruns or dies."""
        helper = self._acquire()
        try:
            return helper.call(function, args, timeout, on_step)
        finally:
            self._release(helper)

    async def run_async(self, function: Callable[..., T], *args: Any, seconds: float) -> T:
        """`run` for coroutines: cancelling the caller kills the helper at once (Ctrl-C, job abort)."""
        helper = await asyncio.to_thread(self._acquire)
        try:
            return await asyncio.to_thread(helper.call, function, args, seconds)
        except asyncio.CancelledError:
            # The waiting thread sees the closed connection and returns; nothing keeps running.
            helper.kill()
            raise
        finally:
            self._release(helper)

    def warm_up(self, function: Callable[..., Any] | None = None, *args: Any, timeout: float = 120.0) -> None:
        """Start every helper now, and run `function(*args)` in each (to import what it needs), so that
        the first real call pays for neither process start-up nor imports."""
        helpers = [self._acquire() for _ in range(self._max_helpers)]
        try:
            if function is not None:
                for helper in helpers:
                    helper.call(function, args, timeout)
        finally:
            for helper in helpers:
                self._release(helper)

    def close(self) -> None:
        with self._available:
            for helper in self._idle:
                helper.kill()
            self._started -= len(self._idle)
            self._idle.clear()

    def _acquire(self) -> _Helper:
        with self._available:
            while not self._idle and self._started >= self._max_helpers:
                self._available.wait()
            if self._idle:
                return self._idle.pop()
            self._started += 1
        try:
            return _Helper(self._memory_limit_bytes)
        except BaseException:
            with self._available:
                self._started -= 1
                self._available.notify()
            raise

    def _release(self, helper: _Helper) -> None:
        with self._available:
            if helper.usable:
                self._idle.append(helper)
            else:
                self._started -= 1
            self._available.notify()


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    global _default  # one pool per process, started on first use
    with _default_lock:
        if _default is None:
            _default = Sandbox()
            atexit.register(_default.close)
        return _default
