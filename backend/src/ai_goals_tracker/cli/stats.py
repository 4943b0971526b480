"""`aigt stats` (activity heatmap, streak, weekly completions and scores) and the learner's recent events."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from ai_goals_tracker.api_server import DEFAULT_SERVER
from ai_goals_tracker.cli.common import JsonOption, ServerOption, handles_api_errors, open_client, print_json, stdout
from ai_goals_tracker.cli.language import _, ngettext

if TYPE_CHECKING:
    from ai_goals_tracker.stats.schemas import GoalHours, UserStats

_LEVEL_STYLES = ["grey23", "green4", "green3", "green1", "bold bright_green"]
# Shades as well as colours, so the map still reads in a terminal without colour.
_LEVEL_GLYPHS = ["·", "░", "▒", "▓", "█"]


def heatmap(activity: dict[date, int], *, weeks: int, today: date) -> Text:
    """GitHub-style grid: one column per week (oldest left), one row per weekday, darker = more."""
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    busiest = max(activity.values(), default=0)
    lines = Text()
    # Two letters per month, over the week it starts in; in the reader's language, not the C locale's.
    names = _("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec").split()
    weekdays = [_("Mon"), "", _("Wed"), "", _("Fri"), "", _("Sun")]
    months = "".join(
        names[(start + timedelta(weeks=w)).month - 1][:2] if (start + timedelta(weeks=w)).day <= 7 else "  "
        for w in range(weeks)
    )
    lines.append("     " + months + "\n", style="dim")
    for weekday in range(7):
        lines.append(f"{weekdays[weekday]:<4} ", style="dim")
        for week in range(weeks):
            day = start + timedelta(weeks=week, days=weekday)
            if day > today:
                lines.append("  ")
                continue
            count = activity.get(day, 0)
            level = 0 if count == 0 or busiest == 0 else min(4, 1 + (count * 4 - 1) // busiest)
            lines.append(f"{_LEVEL_GLYPHS[level]} ", style=_LEVEL_STYLES[level])
        lines.append("\n")
    less, more = _("less"), _("more")
    lines.append(f"     {less} ", style="dim")
    for glyph, style in zip(_LEVEL_GLYPHS, _LEVEL_STYLES, strict=True):
        lines.append(f"{glyph} ", style=style)
    lines.append(more, style="dim")
    return lines


@handles_api_errors
def stats(
    weeks: Annotated[int, typer.Option(min=1, max=53, help=_("Weeks of activity to draw."))] = 26,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    with open_client(server) as client:
        answer = client.my_stats()
    if as_json:
        print_json(answer)
        return
    out = stdout()
    activity = {day.date: day.events for day in answer.activity}
    out.print(Text(_("Activity"), style="bold"))
    out.print(heatmap(activity, weeks=weeks, today=date.today()))
    current = answer.streak.current_days
    streak_line = ngettext(
        "Streak: [bold]{count}[/] day (longest {longest})",
        "Streak: [bold]{count}[/] days (longest {longest})",
        current,
        longest=answer.streak.longest_days,
    )
    activity_line = ngettext(
        "{events} events on {count} active day",
        "{events} events on {count} active days",
        len(activity),
        events=answer.total_events,
    )
    out.print(f"{streak_line} · {activity_line}")
    weekly = _weekly_table(answer)
    if weekly.row_count:
        out.print(weekly)
    hours = _hours_table(answer.hours_per_goal)
    if hours.row_count:
        out.print(hours)
    if answer.languages:
        used = ", ".join(f"{item.language} ({item.submissions})" for item in answer.languages)
        out.print(_("Languages submitted: {languages}").format(languages=used))


def _weekly_table(answer: UserStats) -> Table:
    completions = {row.week: row.count for row in answer.tasks_completed_per_week}
    scores = {row.week: row.mean_score for row in answer.validation_score_per_week}
    table = Table(title=_("By week"), title_justify="left")
    table.add_column(_("Week"), no_wrap=True)
    table.add_column(_("Tasks completed"), justify="right")
    table.add_column(_("Mean review score"), justify="right")
    for week in sorted(set(completions) | set(scores))[-8:]:
        score = scores.get(week)
        table.add_row(week, str(completions.get(week, 0)), "" if score is None else f"{score * 100:.0f}%")
    return table


def _hours_table(goals: list[GoalHours]) -> Table:
    table = Table(title=_("Hours per goal"), title_justify="left")
    table.add_column(_("Goal"), ratio=1)
    table.add_column(_("Tasks"), justify="right")
    table.add_column(_("Estimated"), justify="right")
    table.add_column(_("Actual"), justify="right")
    for goal in goals:
        table.add_row(goal.title, str(goal.tasks), f"{goal.estimated_hours:g} h", f"{goal.actual_hours:g} h")
    return table


@handles_api_errors
def events(
    limit: Annotated[int, typer.Option(min=1, max=200, help=_("How many of the latest events."))] = 20,
    event_type: Annotated[str | None, typer.Option("--type", help=_("Only this type, e.g. task.completed."))] = None,
    entity: Annotated[str | None, typer.Option("--entity", help=_("Only events about this id."))] = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    with open_client(server) as client:
        # The API lists oldest first: count, then read the last page.
        total = client.list_events(event_type=event_type, entity_id=entity, limit=1).total
        page = client.list_events(event_type=event_type, entity_id=entity, limit=limit, offset=max(0, total - limit))
    if as_json:
        print_json(page)
        return
    title = _("Latest {shown} of {total} events").format(shown=len(page.items), total=page.total)
    table = Table(title=title, title_justify="left")
    table.add_column(_("When (UTC)"), no_wrap=True, min_width=11)
    table.add_column(_("Event"), no_wrap=True, min_width=21)
    table.add_column(_("Entity"), no_wrap=True, min_width=30)
    table.add_column(_("Title"), ratio=1)
    table.add_column(_("Source"), no_wrap=True, min_width=6)
    for event in page.items:
        payload = event.payload
        table.add_row(
            f"{event.created_at:%m-%d %H:%M}",
            event.event_type,
            event.entity_id,
            str(payload.get("title") or payload.get("username") or payload.get("file_path") or ""),
            str(event.metadata.get("source") or ""),
        )
    stdout().print(table)
