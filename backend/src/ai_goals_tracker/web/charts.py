"""Charts drawn on the server as SVG: no script, no image requests, readable by screen readers.

Colours come from CSS classes (the Content-Security-Policy forbids inline styles); every chart has
a title for assistive technology and a `<title>` per mark for pointer users.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

from ai_goals_tracker.stats.schemas import DayActivity, GoalHours, WeekCount, WeekScore
from ai_goals_tracker.web.i18n import Translate

CELL = 13
GAP = 3
HEATMAP_WEEKS = 53
_LEFT = 30
_TOP = 18


def heatmap_window(today: date) -> tuple[date, date]:
    """From the Monday 52 weeks before this week's to today: whole columns of days."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=HEATMAP_WEEKS - 1), today


def _level(events: int, busiest: int) -> int:
    """0 for a quiet day, then four steps relative to the busiest day of the year."""
    if events <= 0 or busiest <= 0:
        return 0
    return max(1, min(4, math.ceil(events / busiest * 4)))


def heatmap(activity: Sequence[DayActivity], today: date, t: Translate) -> Markup:
    start, end = heatmap_window(today)
    counts = {day.date: day.events for day in activity}
    busiest = max(counts.values(), default=0)
    total = sum(events for day, events in counts.items() if start <= day <= end)
    months = t("chart.months").split()
    width = _LEFT + HEATMAP_WEEKS * (CELL + GAP)
    height = _TOP + 7 * (CELL + GAP)
    label = t("chart.heatmap_label", events=total)
    parts = [_svg_open(width, height, "heatmap", label)]
    for row, name in ((0, t("chart.mon")), (2, t("chart.wed")), (4, t("chart.fri"))):
        parts.append(_text(0, _TOP + row * (CELL + GAP) + CELL - 1, name, "axis"))
    day = start
    while day <= end:
        column = (day - start).days // 7
        x = _LEFT + column * (CELL + GAP)
        if day.day <= 7 and day.weekday() == 0:
            parts.append(_text(x, _TOP - 6, months[day.month - 1], "axis"))
        y = _TOP + day.weekday() * (CELL + GAP)
        events = counts.get(day, 0)
        tip = t("chart.day_events", day=day.isoformat(), events=events)
        parts.append(
            f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="2" class="heat l{_level(events, busiest)}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        day += timedelta(days=1)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every value inside is a number or escaped)


def recent_weeks(today: date, count: int) -> list[str]:
    """ISO week names (`2025-W03`) of the last `count` weeks, oldest first."""
    weeks = []
    for back in range(count - 1, -1, -1):
        year, week, _ = (today - timedelta(weeks=back)).isocalendar()
        weeks.append(f"{year}-W{week:02d}")
    return weeks


@dataclass(frozen=True)
class _Plot:
    width: int = 640
    height: int = 220
    left: int = 36
    bottom: int = 28
    top: int = 12

    @property
    def inner_height(self) -> int:
        return self.height - self.top - self.bottom


def completions_chart(weeks: Sequence[WeekCount], today: date, t: Translate, count: int = 12) -> Markup:
    by_week = {week.week: week.count for week in weeks}
    names = recent_weeks(today, count)
    values = [by_week.get(name, 0) for name in names]
    plot = _Plot()
    # Whole numbers on every grid line: the top is a multiple of the four steps.
    top_value = max(4, math.ceil(max(values, default=0) / 4) * 4)
    slot = (plot.width - plot.left) / count
    label = t("chart.completions_label", total=sum(values), weeks=count)
    parts = [_svg_open(plot.width, plot.height, "bars", label), *_y_axis(plot, top_value, lambda v: str(round(v)))]
    for index, (name, value) in enumerate(zip(names, values, strict=True)):
        height = plot.inner_height * value / top_value
        x = plot.left + index * slot + slot * 0.2
        y = plot.top + plot.inner_height - height
        tip = t("chart.week_completed", week=name, count=value)
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" height="{height:.1f}" class="bar">'
            f"<title>{escape(tip)}</title></rect>"
        )
        parts.append(_text(x + slot * 0.3, plot.height - 8, name.split("-")[1], "axis", anchor="middle"))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every value inside is a number or escaped)


def scores_chart(scores: Sequence[WeekScore], t: Translate) -> Markup:
    """Mean review score per week with a point per week; 0 to 100 %."""
    plot = _Plot()
    label = t("chart.scores_label", weeks=len(scores))
    parts = [_svg_open(plot.width, plot.height, "line", label), *_y_axis(plot, 1.0, lambda v: f"{v:.0%}")]
    if scores:
        slot = (plot.width - plot.left) / len(scores)
        points = []
        for index, week in enumerate(scores):
            x = plot.left + index * slot + slot / 2
            y = plot.top + plot.inner_height * (1 - max(0.0, min(1.0, week.mean_score)))
            points.append((x, y, week))
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        parts.append(f'<polyline points="{path}" class="trend" fill="none"/>')
        for x, y, week in points:
            tip = t("chart.week_score", week=week.week, score=f"{week.mean_score:.0%}", count=week.validations)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="point"><title>{escape(tip)}</title></circle>')
            parts.append(_text(x, plot.height - 8, week.week.split("-")[1], "axis", anchor="middle"))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every value inside is a number or escaped)


def hours_chart(goals: Sequence[GoalHours], t: Translate, limit: int = 15) -> Markup:
    """Estimated against actual hours, one pair of bars per goal."""
    shown = list(goals)[:limit]
    row = 34
    left = 220
    width = 640
    height = max(row * len(shown), row) + 24
    top_value = max([max(g.estimated_hours, g.actual_hours) for g in shown] + [1.0])
    scale = (width - left - 60) / top_value
    label = t("chart.hours_label", goals=len(shown))
    parts = [_svg_open(width, height, "hours", label)]
    parts.append(f'<rect x="{left}" y="4" width="10" height="10" class="estimated"/>')
    parts.append(_text(left + 14, 13, t("chart.estimated"), "axis"))
    parts.append(f'<rect x="{left + 110}" y="4" width="10" height="10" class="actual"/>')
    parts.append(_text(left + 124, 13, t("chart.actual"), "axis"))
    for index, goal in enumerate(shown):
        y = 24 + index * row
        title = goal.title if len(goal.title) <= 32 else goal.title[:31] + "…"
        parts.append(_text(left - 8, y + 16, title, "axis", anchor="end"))
        for offset, value, css in ((2, goal.estimated_hours, "estimated"), (15, goal.actual_hours, "actual")):
            tip = t(f"chart.{css}_hours", goal=goal.title, hours=f"{value:g}")
            parts.append(
                f'<rect x="{left}" y="{y + offset}" width="{max(value * scale, 1):.1f}" height="11" class="{css}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            parts.append(_text(left + value * scale + 4, y + offset + 10, f"{value:g} h", "value"))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every value inside is a number or escaped)


def _svg_open(width: int, height: int, css: str, label: str) -> str:
    return (
        f'<svg class="chart {css}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
    )


def _y_axis(plot: _Plot, top_value: float, fmt: Callable[[float], str]) -> list[str]:
    lines = []
    for step in range(5):
        value = top_value * step / 4
        y = plot.top + plot.inner_height * (1 - step / 4)
        lines.append(f'<line x1="{plot.left}" x2="{plot.width}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        lines.append(_text(plot.left - 6, y + 4, fmt(value), "axis", anchor="end"))
    return lines


def _text(x: float, y: float, content: str, css: str, *, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" class="{css}" text-anchor="{anchor}">{escape(content)}</text>'
