"""Whether goals' Python tests run warm (forked from a jail kept running) or cold (a jail each) here.

Found out once per process, in the background, by one trial run in the jail the review uses
(`review.tests_check`): it starts warm where a warm jail can start on this machine, as a worker's
review would. Until the trial is over the mode is `checking`; `/health` never waits for it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Literal

from ai_goals_tracker.review.tests_check import default_jail
from ai_goals_tracker.sandbox import zygote
from ai_goals_tracker.sandbox.jail import SandboxUnavailable, python_executable, python_runtimes

logger = logging.getLogger(__name__)

Mode = Literal["warm", "cold", "checking"]


@dataclass(frozen=True, slots=True)
class SandboxMode:
    # None: no jail starts at all (the sandbox is unavailable).
    mode: Mode | None
    cold_reason: str | None = None


CHECKING = SandboxMode("checking")

_lock = threading.Lock()
_found: SandboxMode | None = None
_trial: threading.Thread | None = None


def sandbox_mode() -> SandboxMode:
    """The mode, or `checking` while the trial (started by the first call) runs."""
    global _trial
    with _lock:
        if _found is not None:
            return _found
        if _trial is None:
            _trial = threading.Thread(target=_find_out, name="aigt-sandbox-mode", daemon=True)
            _trial.start()
    return CHECKING


def _find_out() -> None:
    global _found
    try:
        trial = default_jail().run([python_executable(), "-c", "pass"], {}, runtimes=python_runtimes())
    except SandboxUnavailable:
        found = SandboxMode(None)
    except Exception as exc:  # the trial itself failed: tests may still run cold, say so
        logger.exception("The sandbox's trial run failed")
        found = SandboxMode("cold", f"the trial run failed: {exc}")
    else:
        reasons = zygote.cold_reasons()
        found = (
            SandboxMode("warm")
            if trial.warm
            else SandboxMode("cold", reasons[0] if reasons else "warm jails are not used here")
        )
    with _lock:
        _found = found
