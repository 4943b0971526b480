"""Running learner code safely: a bubblewrap jail (`jail`) and goals' test modules in it (`testrun`).

Learner code never runs anywhere else: where bubblewrap is missing, nothing runs. docs/sandbox.md
describes the jail and its limits.
"""

from __future__ import annotations

from ai_goals_tracker.sandbox import cgroups
from ai_goals_tracker.sandbox.jail import Jail, SandboxStatus


def sandbox_status(bwrap: str) -> SandboxStatus:
    """Whether a jail starts on this machine with that bubblewrap (probed once per process)."""
    return Jail(bwrap=bwrap).status()


def sandbox_bounds() -> str:
    """What bounds a run's total memory and processes here (`cgroup v1`, `cgroup v2`, `watchdog`)."""
    return cgroups.bounds_in_force()
