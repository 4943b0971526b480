"""Functions the sandbox tests send to a helper process (they must be importable there)."""

from __future__ import annotations

import os
import time


def sleep_then_answer(seconds: float) -> str:
    time.sleep(seconds)
    return "awake"


def die() -> None:
    os._exit(9)


def exhaust_memory() -> int:
    hoard = [bytearray(64 * 1024 * 1024) for _ in range(1024)]
    return len(hoard)


def loaded_modules() -> list[str]:
    import sys

    return sorted(sys.modules)


def niceness() -> int:
    return os.nice(0)


def child_niceness() -> int:
    """The scheduling priority of a process the helper starts (an analyzer, a jailed test run)."""
    import subprocess

    return int(subprocess.run(["nice"], capture_output=True, text=True, check=True).stdout)
