"""Charts and feedback drawn on the server: what they show and that nothing unescaped gets through."""

from __future__ import annotations

import re
from datetime import date

from ai_goals_tracker.stats.schemas import DayActivity, GoalHours, WeekCount
from ai_goals_tracker.web.charts import completions_chart, heatmap, heatmap_window, hours_chart
from ai_goals_tracker.web.i18n import translator
from ai_goals_tracker.web.markdown import render_feedback

T = translator("en")
TODAY = date(2026, 11, 26)  # a Thursday


def test_the_heatmap_has_a_cell_per_day_shaded_by_activity() -> None:
    start, end = heatmap_window(TODAY)
    activity = [DayActivity(date=TODAY, events=8), DayActivity(date=date(2026, 11, 2), events=2)]

    svg = str(heatmap(activity, TODAY, T))

    assert start.weekday() == 0
    assert svg.count('class="heat ') == (end - start).days + 1
    assert svg.count('class="heat l4"') == 1
    assert svg.count('class="heat l1"') == 1
    assert "2026-11-26: 8 events" in svg
    assert 'aria-label="Activity over the last year: 10 events"' in svg


def test_weekly_completions_fill_missing_weeks_with_zero() -> None:
    svg = str(completions_chart([WeekCount(week="2026-W48", count=3)], TODAY, T))

    heights = [float(h) for h in re.findall(r'class="bar" .*?height="([0-9.]+)"', svg) or []]
    bars = re.findall(r'<rect [^>]*class="bar"', svg)
    assert len(bars) == 12
    assert "2026-W48: 3 completed" in svg
    assert "2026-W47: 0 completed" in svg
    assert heights == [] or max(heights) > 0


def test_titles_in_charts_are_escaped() -> None:
    goal = GoalHours(
        goal_id="gol_1", title="<script>x</script>", status="pending", tasks=1, estimated_hours=3, actual_hours=1
    )

    svg = str(hours_chart([goal], T))

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_feedback_markdown_becomes_headings_lists_and_code_and_nothing_else() -> None:
    html = str(render_feedback("### Fix first\n- **line 3** (`eval`): <b>bad</b>\n\nDone."))

    assert html == (
        "<h3>Fix first</h3>\n<ul>\n<li><strong>line 3</strong> (<code>eval</code>): &lt;b&gt;bad&lt;/b&gt;</li>\n"
        "</ul>\n<p>Done.</p>"
    )


def test_only_local_paths_are_followed_after_a_form() -> None:
    from ai_goals_tracker.web.page import safe_next

    assert safe_next("/goals/gol_1?x=1") == "/goals/gol_1?x=1"
    for foreign in ("https://evil.example/", "//evil.example/", "/\\evil.example", "", None, "javascript:alert(1)"):
        assert safe_next(foreign) == "/"
