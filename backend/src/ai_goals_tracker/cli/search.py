"""`aigt search "query"` and `aigt suggest COURSE_ID`: finding things by meaning, and AI-planned goals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ai_goals_tracker.api_server import DEFAULT_SERVER
from ai_goals_tracker.cli.common import (
    JsonOption,
    ServerOption,
    handles_api_errors,
    open_client,
    print_json,
    priority_label,
    stdout,
    task_type_label,
)
from ai_goals_tracker.cli.language import _, cli_locale, ngettext
from ai_goals_tracker.criteria import render_raw

if TYPE_CHECKING:
    from ai_goals_tracker.planning.schemas import SuggestedGoal, Suggestions


@handles_api_errors
def search(
    query: Annotated[str, typer.Argument(help=_("What you are looking for, in Spanish or English."))],
    entity_type: Annotated[
        str | None,
        typer.Option("--type", help=_("Only one kind: course, goal, task or code."), show_default=False),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=50, help=_("How many results."))] = 10,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    with open_client(server) as client:
        answer = client.search(query, entity_type=entity_type, limit=limit)
    if as_json:
        print_json(answer)
        return
    table = Table(title=_("Results for {query!r}").format(query=query), title_justify="left")
    table.add_column(_("Score"), justify="right", no_wrap=True)
    table.add_column(_("Type"), no_wrap=True)
    table.add_column(_("ID"), no_wrap=True)
    table.add_column(_("Title"), ratio=1)
    table.add_column(_("Snippet"), style="dim", ratio=2)
    for result in answer.items:
        table.add_row(
            f"{result.score:.2f}",
            _entity_label(result.entity_type),
            result.entity_id,
            result.title,
            _one_line(result.snippet),
        )
    out = stdout()
    out.print(table) if answer.items else out.print(_("Nothing found for {query!r}.").format(query=query))


@handles_api_errors
def suggest(
    course_id: Annotated[str, typer.Argument(help=_("The course to plan goals for."))],
    accept: Annotated[
        str | None,
        typer.Option(help=_("Accept without asking: `all`, `none`, or numbers such as `1,3`.")),
    ] = None,
    hours_per_week: Annotated[float | None, typer.Option(min=0, help=_("Your pace, for due dates."))] = None,
    deadline: Annotated[str | None, typer.Option(help=_("Finish by this date, e.g. 2026-06-30."))] = None,
    level: Annotated[str | None, typer.Option(help=_("beginner, intermediate or advanced."))] = None,
    focus: Annotated[str | None, typer.Option(help=_("What to concentrate on, in your words."))] = None,
    count: Annotated[int, typer.Option(min=1, max=10, help=_("How many goals to suggest."))] = 5,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    options = {
        key: value
        for key, value in {
            "hours_per_week": hours_per_week,
            "deadline": deadline,
            "level": level,
            "focus": focus,
            "count": count,
        }.items()
        if value is not None
    }
    from ai_goals_tracker.planning.schemas import Accepted

    out = stdout()
    with open_client(server) as client:
        answer = client.suggest_goals(course_id, options)
        suggestions = answer.goals
        if not as_json:
            _print_suggestions(answer)
        if accept is None and as_json:
            print_json(answer)
            return
        if not suggestions:
            return
        choice = accept if accept is not None else typer.prompt(_("Accept which goals? (e.g. 1,3, all or none)"))
        chosen = [suggestions[index] for index in _parse_choice(choice, len(suggestions))]
        accepted = client.accept_goals(course_id, chosen) if chosen else Accepted(goals=[])
    if as_json:
        print_json({"suggested": suggestions, "accepted": accepted})
        return
    if not accepted.goals:
        out.print(_("No goals accepted."))
        return
    out.print(ngettext("Accepted {count} goal:", "Accepted {count} goals:", len(accepted.goals)))
    for goal in accepted.goals:
        suffix = ngettext(" ({count} task)", " ({count} tasks)", len(goal.tasks))
        out.print(f"  [bold]{goal.id}[/] {escape(goal.title)}{suffix}")


def _print_suggestions(answer: Suggestions) -> None:
    out = stdout()
    count = len(answer.goals)
    if answer.goals and answer.source == "llm":
        out.print(
            ngettext(
                "{count} suggested goal, planned by the configured LLM:",
                "{count} suggested goals, planned by the configured LLM:",
                count,
            )
        )
    elif answer.goals:
        out.print(
            ngettext(
                "{count} suggested goal, from the offline catalog:",
                "{count} suggested goals, from the offline catalog:",
                count,
            )
        )
    for warning in answer.warnings:
        out.print(_("[yellow]note:[/] {warning}").format(warning=escape(warning)))
    # Why fewer (or no) goals came back, and how to get more: shown before the goals so it is not missed.
    if answer.notice:
        out.print(f"[yellow]{escape(answer.notice)}[/]")
    for number, goal in enumerate(answer.goals, start=1):
        _print_suggestion(number, goal)


def _print_suggestion(number: int, goal: SuggestedGoal) -> None:
    out = stdout()
    due = _(", due {date}").format(date=f"{goal.due_date:%Y-%m-%d}") if goal.due_date else ""
    out.print(f"\n[bold]{number}. {escape(goal.title)}[/] [dim]({priority_label(goal.priority)}{due})[/]")
    if goal.description:
        out.print(f"   {escape(goal.description)}")
    for criterion in goal.validation_criteria.get("criteria") or []:
        out.print(Text.assemble(("   ✓ ", "green"), render_raw(criterion, cli_locale())))
    for task in goal.tasks:
        kind = task_type_label(task.task_type)
        out.print(f"   • {escape(task.title)} [dim]({kind} ~{task.estimated_hours:g} h)[/]")


def _parse_choice(choice: str, count: int) -> list[int]:
    """`all`, `none`, or 1-based numbers separated by commas or spaces, as zero-based indexes."""
    text = choice.strip().lower()
    if text == "all":
        return list(range(count))
    if text in {"", "none"}:
        return []
    indexes: list[int] = []
    for part in text.replace(",", " ").split():
        if not part.isdigit() or not 1 <= int(part) <= count:
            raise typer.BadParameter(
                _("{part!r} is not a suggestion number between 1 and {count}").format(part=part, count=count),
                param_hint="accept",
            )
        if int(part) - 1 not in indexes:
            indexes.append(int(part) - 1)
    return indexes


def _entity_label(entity_type: str) -> str:
    labels = {
        "course": _("course"),
        "goal": _("goal"),
        "task": _("task"),
        "code": _("code"),
        "code_snapshot": _("code"),
    }
    return labels.get(entity_type, entity_type)


def _one_line(text: str, width: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
