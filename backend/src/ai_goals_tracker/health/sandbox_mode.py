"""Whether goals' Python tests run warm (forked from a jail kept running) or cold (a jail each) here.

Found out once per process by one trial run in the jail the review uses (`review.tests_check`), which
starts warm where a warm jail can start on this machine, as it would for a worker's review; the
trial's warm jail then waits idle for this process's next runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from ai_goals_tracker.review.tests_check import default_jail
from ai_goals_tracker.sandbox import zygote
from ai_goals_tracker.sandbox.jail import SandboxUnavailable, python_executable, python_runtimes


@dataclass(frozen=True, slots=True)
class SandboxMode:
    mode: Literal["warm", "cold"]
    cold_reason: str | None


_lock = threading.Lock()
_found: SandboxMode | None = None


def warm_or_cold() -> SandboxMode | None:
    """The mode (blocking, the first time: one trial run); None when no jail starts at all."""
    global _found
    with _lock:
        if _found is None:
            try:
                trial = default_jail().run([python_executable(), "-c", "pass"], {}, runtimes=python_runtimes())
            except SandboxUnavailable:
                return None
            reasons = zygote.cold_reasons()
            reason = None if trial.warm else (reasons[0] if reasons else "warm jails are not used here")
            _found = SandboxMode("warm" if trial.warm else "cold", reason)
        return _found
