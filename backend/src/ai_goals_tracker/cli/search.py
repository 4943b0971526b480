"""`aigt search "query"` and `aigt suggest COURSE_ID`: finding things by meaning, and AI-planned goals."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ai_goals_tracker.cli.common import (
    JsonOption,
    ServerOption,
    handles_api_errors,
    open_client,
    print_json,
    stdout,
)
from ai_goals_tracker.client import DEFAULT_SERVER
from ai_goals_tracker.criteria import render_raw
from ai_goals_tracker.planning.schemas import Accepted, SuggestedGoal, Suggestions


@handles_api_errors
def search(
    query: Annotated[str, typer.Argument(help="What you are looking for, in Spanish or English.")],
    entity_type: Annotated[
        str | None, typer.Option("--type", help="Only one kind: course, goal, task or code.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=50, help="How many results.")] = 10,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Search your courses, goals, tasks and code by meaning."""
    with open_client(server) as client:
        answer = client.search(query, entity_type=entity_type, limit=limit)
    if as_json:
        print_json(answer)
        return
    table = Table(title=f"Results for {query!r}", title_justify="left")
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Type", no_wrap=True)
    table.add_column("ID", no_wrap=True)
    table.add_column("Title", ratio=1)
    table.add_column("Snippet", style="dim", ratio=2)
    for result in answer.items:
        table.add_row(
            f"{result.score:.2f}", result.entity_type, result.entity_id, result.title, _one_line(result.snippet)
        )
    out = stdout()
    out.print(table) if answer.items else out.print(f"Nothing found for {query!r}.")


@handles_api_errors
def suggest(
    course_id: Annotated[str, typer.Argument(help="The course to plan goals for.")],
    accept: Annotated[
        str | None,
        typer.Option(help="Accept without asking: `all`, `none`, or numbers such as `1,3`."),
    ] = None,
    hours_per_week: Annotated[float | None, typer.Option(min=0, help="Your pace, for due dates.")] = None,
    deadline: Annotated[str | None, typer.Option(help="Finish by this date, e.g. 2026-06-30.")] = None,
    level: Annotated[str | None, typer.Option(help="beginner, intermediate or advanced.")] = None,
    focus: Annotated[str | None, typer.Option(help="What to concentrate on, in your words.")] = None,
    count: Annotated[int, typer.Option(min=1, max=10, help="How many goals to suggest.")] = 5,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Suggest goals (with criteria and tasks) for a course, and save the ones you pick."""
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
        choice = accept if accept is not None else typer.prompt("Accept which goals? (e.g. 1,3, all or none)")
        chosen = [suggestions[index] for index in _parse_choice(choice, len(suggestions))]
        accepted = client.accept_goals(course_id, chosen) if chosen else Accepted(goals=[])
    if as_json:
        print_json({"suggested": suggestions, "accepted": accepted})
        return
    if not accepted.goals:
        out.print("No goals accepted.")
        return
    out.print(f"Accepted {len(accepted.goals)} goal{'s' if len(accepted.goals) != 1 else ''}:")
    for goal in accepted.goals:
        out.print(f"  [bold]{goal.id}[/] {escape(goal.title)} ({len(goal.tasks)} tasks)")


def _print_suggestions(answer: Suggestions) -> None:
    out = stdout()
    source = "planned by the configured LLM" if answer.source == "llm" else "from the offline catalog"
    if answer.goals:
        out.print(f"{len(answer.goals)} suggested goal{'s' if len(answer.goals) != 1 else ''}, {source}:")
    for warning in answer.warnings:
        out.print(f"[yellow]note:[/] {escape(warning)}")
    # Why fewer (or no) goals came back, and how to get more: shown before the goals so it is not missed.
    if answer.notice:
        out.print(f"[yellow]{escape(answer.notice)}[/]")
    for number, goal in enumerate(answer.goals, start=1):
        _print_suggestion(number, goal)


def _print_suggestion(number: int, goal: SuggestedGoal) -> None:
    out = stdout()
    due = f", due {goal.due_date:%Y-%m-%d}" if goal.due_date else ""
    out.print(f"\n[bold]{number}. {escape(goal.title)}[/] [dim]({goal.priority}{due})[/]")
    if goal.description:
        out.print(f"   {escape(goal.description)}")
    for criterion in goal.validation_criteria.get("criteria") or []:
        out.print(Text.assemble(("   ✓ ", "green"), render_raw(criterion)))
    for task in goal.tasks:
        out.print(f"   • {escape(task.title)} [dim]({task.task_type} ~{task.estimated_hours:g} h)[/]")


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
            raise typer.BadParameter(f"{part!r} is not a suggestion number between 1 and {count}", param_hint="accept")
        if int(part) - 1 not in indexes:
            indexes.append(int(part) - 1)
    return indexes


def _one_line(text: str, width: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
