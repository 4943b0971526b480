"""Every benchmark's targets as data: what was measured, the bound it must keep, met or missed and by
how much. `make bench` prints them as one table; `make bench-check` exits non-zero when one is missed.

A benchmark that fails, or that reports no figure for a target it owns, counts as a miss: missing
evidence never becomes a pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Bound = Literal["at least", "at most"]


@dataclass(frozen=True)
class Target:
    """One figure against its bound, e.g. `Target("API read throughput vs baseline", 0.81, "at least", 0.75)`."""

    name: str
    value: float | None
    bound: Bound
    limit: float
    unit: str = "x"

    @property
    def met(self) -> bool:
        if self.value is None:
            return False
        return self.value >= self.limit if self.bound == "at least" else self.value <= self.limit

    @property
    def gap(self) -> float | None:
        """How far the figure is on the right side of its bound (positive) or the wrong side (negative)."""
        if self.value is None:
            return None
        return self.value - self.limit if self.bound == "at least" else self.limit - self.value

    def verdict(self) -> str:
        return "met" if self.met else "MISSED"


@dataclass
class Section:
    """A benchmark's markdown report and the targets it measured."""

    markdown: str
    targets: list[Target] = field(default_factory=list)


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:,.3g} {unit}".strip() if abs(value) < 100 else f"{value:,.0f} {unit}".strip()


def table(targets: list[Target]) -> str:
    lines = [
        "## Targets",
        "",
        "| target | measured | bound | verdict | gap |",
        "|---|---:|---|---|---:|",
    ]
    for target in targets:
        gap = target.gap
        gap_text = "no figure" if gap is None else f"{'+' if gap >= 0 else '−'}{_figure(abs(gap), target.unit)}"
        lines.append(
            f"| {target.name} | {_figure(target.value, target.unit)} | {target.bound} "
            f"{_figure(target.limit, target.unit)} | {target.verdict()} | {gap_text} |"
        )
    missed = [target for target in targets if not target.met]
    lines += ["", f"**{len(targets) - len(missed)} of {len(targets)} targets met**" + (":" if missed else ".")]
    lines += [f"- missed: {target.name}" for target in missed]
    return "\n".join(lines)
