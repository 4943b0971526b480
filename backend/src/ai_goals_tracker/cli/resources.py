"""`aigt courses|goals|tasks list|show|create|update|delete` and `aigt task start|complete|skip`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
    priority_label,
    progress_cell,
    short_date,
    status_label,
    status_text,
    stdout,
    task_type_label,
)
from ai_goals_tracker.cli.language import _, cli_locale, ngettext
from ai_goals_tracker.client import DEFAULT_SERVER, ApiClient, ApiError, JsonObject, Page
from ai_goals_tracker.goals.criteria import render_raw

courses_app = typer.Typer(help=_("Your courses: list, show, create, update, delete."), no_args_is_help=True)
goals_app = typer.Typer(help=_("Your goals: list, show, create, update, delete."), no_args_is_help=True)
tasks_app = typer.Typer(help=_("Your tasks: list, show, create, update, delete."), no_args_is_help=True)
task_app = typer.Typer(help=_("Move a task along: start, complete, skip."), no_args_is_help=True)

Limit = Annotated[int, typer.Option(min=1, max=200, help=_("How many to list."))]
Offset = Annotated[int, typer.Option(min=0, help=_("How many to skip."))]
Yes = Annotated[bool, typer.Option("--yes", "-y", help=_("Do not ask for confirmation."))]
Description = Annotated[str | None, typer.Option(help=_("What it is about."))]
NewTitle = Annotated[str | None, typer.Option(help=_("New title."))]
Priority = Annotated[str, typer.Option(help=_("low, medium, high or urgent."))]
NewPriority = Annotated[str | None, typer.Option(help=_("low, medium, high or urgent."))]
Due = Annotated[str | None, typer.Option(help=_("Due date, e.g. 2026-03-01."))]
TaskPriority = Annotated[int | None, typer.Option(min=0, max=100, help=_("0-100, higher first."))]
Estimate = Annotated[float | None, typer.Option(min=0, help=_("Estimated hours."))]
GoalStatusOption = Annotated[str | None, typer.Option(help=_("pending, in_progress, completed, blocked, cancelled."))]
TaskTypeOption = Annotated[str | None, typer.Option("--type", help=_("code, documentation, testing, …"))]


def _changes(**fields: Any) -> dict[str, Any]:
    """Only the options given: a PATCH leaves everything else as it is."""
    return {name: value for name, value in fields.items() if value is not None}


def _need_changes(changes: dict[str, Any]) -> None:
    if not changes:
        raise typer.BadParameter(_("give at least one option to change (see --help)"))


# Each sentence is written whole for each kind: in Spanish the noun's gender changes the rest.


def _confirm_delete(question: str, title: str, yes: bool) -> None:
    """`question` has a `{title}` placeholder."""
    if not yes and not typer.confirm(question.format(title=repr(title))):
        raise typer.Abort()


def _report_saved(sentence: str, entity: JsonObject, as_json: bool, *, task: bool = False) -> None:
    """`sentence` has `{id}` and `{title}` placeholders, and `{status}` for an update."""
    if as_json:
        print_json(entity)
        return
    status = status_label(str(entity.get("status", "")), task=task)
    stdout().print(sentence.format(id=entity["id"], title=escape(entity["title"]), status=status))


def _report_deleted(sentence: str, entity_id: str, as_json: bool) -> None:
    if as_json:
        print_json({"deleted": entity_id})
        return
    stdout().print(sentence.format(id=entity_id))


def _page_footer(page: Page, counted: str, partial: str) -> str:
    """`counted` says the total; `partial` also how many are shown, for a page that is not all of them."""
    return partial if page["total"] > len(page["items"]) else counted


# Courses


def course_table(courses: list[JsonObject]) -> Table:
    table = Table(title=_("Courses"), title_justify="left")
    table.add_column(_("ID"), no_wrap=True, min_width=30)
    table.add_column(_("Title"), ratio=1)
    table.add_column(_("Status"), no_wrap=True)
    table.add_column(_("Progress"), no_wrap=True)
    for course in courses:
        table.add_row(
            course["id"], course["title"], status_text(course["status"]), progress_cell(course["progress_percentage"])
        )
    return table


@courses_app.command("list", help=_("List your courses with their progress."))
@handles_api_errors
def list_courses(
    status: Annotated[str | None, typer.Option(help=_("draft, active, completed or archived."))] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    with open_client(server) as client:
        page = client.list_courses(status=status, limit=limit, offset=offset)
    if as_json:
        print_json(page)
        return
    out = stdout()
    out.print(course_table(page["items"]))
    total = page["total"]
    out.print(
        _page_footer(
            page,
            ngettext("{count} course", "{count} courses", total),
            ngettext(
                "{shown} of {count} course (use --offset/--limit for more)",
                "{shown} of {count} courses (use --offset/--limit for more)",
                total,
                shown=len(page["items"]),
            ),
        )
    )


@courses_app.command("show", help=_("A course and its goals."))
@handles_api_errors
def show_course(course_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    with open_client(server) as client:
        course = client.get_course(course_id)
        goals = client.list_goals(course_id=course_id, limit=200)
    if as_json:
        print_json({**course, "goals": goals["items"]})
        return
    out = stdout()
    out.print(f"[bold]{escape(course['title'])}[/]  {course['id']}")
    out.print(Text.assemble(status_text(course["status"]), "  ", progress_cell(course["progress_percentage"])))
    if course.get("description"):
        out.print(course["description"])
    out.print(goal_table(goals["items"]))


@courses_app.command("create", help=_("Create a course."))
@handles_api_errors
def create_course(
    title: str,
    description: Description = None,
    status: Annotated[str, typer.Option(help=_("draft or active."))] = "active",
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    with open_client(server) as client:
        course = client.create_course(_changes(title=title, description=description, status=status))
    _report_saved(_("Created course [bold]{id}[/]: {title}"), course, as_json)


@courses_app.command("update", help=_("Change a course's title, description or status."))
@handles_api_errors
def update_course(
    course_id: str,
    title: NewTitle = None,
    description: Description = None,
    status: Annotated[str | None, typer.Option(help=_("draft, active, completed or archived."))] = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    changes = _changes(title=title, description=description, status=status)
    _need_changes(changes)
    with open_client(server) as client:
        course = client.update_course(course_id, changes)
    _report_saved(_("Updated course [bold]{id}[/]: {title} ({status})"), course, as_json)


@courses_app.command("delete", help=_("Delete a course (its goals stay, without a course)."))
@handles_api_errors
def delete_course(
    course_id: str, yes: Yes = False, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False
) -> None:
    with open_client(server) as client:
        course = client.get_course(course_id)
        _confirm_delete(_("Delete course {title}?"), course["title"], yes or as_json)
        client.delete_course(course_id)
    _report_deleted(_("Deleted course {id}."), course_id, as_json)


# Goals


def goal_table(goals: list[JsonObject]) -> Table:
    table = Table(title=_("Goals"), title_justify="left")
    table.add_column(_("ID"), no_wrap=True, min_width=30)
    table.add_column(_("Title"), ratio=1)
    table.add_column(_("Status"), no_wrap=True)
    table.add_column(_("Priority"), no_wrap=True)
    table.add_column(_("Progress"), no_wrap=True)
    with_due = any(goal.get("due_date") for goal in goals)
    if with_due:
        table.add_column(_("Due"), no_wrap=True)
    for goal in goals:
        title = goal["title"] + (_(" [dim](AI)[/]") if goal.get("ai_generated") else "")
        cells = [
            goal["id"],
            title,
            status_text(goal["status"]),
            priority_label(goal["priority"]),
            progress_cell(goal["progress_percentage"]),
        ]
        table.add_row(*cells, *([short_date(goal.get("due_date"))] if with_due else []))
    return table


@goals_app.command("list", help=_("List your goals with their progress."))
@handles_api_errors
def list_goals(
    course: Annotated[str | None, typer.Option("--course", help=_("Only this course's goals."))] = None,
    status: GoalStatusOption = None,
    priority: NewPriority = None,
    limit: Limit = 50,
    offset: Offset = 0,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    with open_client(server) as client:
        page = client.list_goals(course_id=course, status=status, priority=priority, limit=limit, offset=offset)
    if as_json:
        print_json(page)
        return
    out = stdout()
    out.print(goal_table(page["items"]))
    total = page["total"]
    out.print(
        _page_footer(
            page,
            ngettext("{count} goal", "{count} goals", total),
            ngettext(
                "{shown} of {count} goal (use --offset/--limit for more)",
                "{shown} of {count} goals (use --offset/--limit for more)",
                total,
                shown=len(page["items"]),
            ),
        )
    )


@goals_app.command("show", help=_("A goal, its validation criteria and its tasks."))
@handles_api_errors
def show_goal(goal_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    with open_client(server) as client:
        goal = client.get_goal(goal_id)
        tasks = client.list_tasks(goal_id=goal_id, limit=200)
    if as_json:
        print_json({**goal, "tasks": tasks["items"]})
        return
    out = stdout()
    priority = _("priority {priority}").format(priority=priority_label(goal["priority"]))
    out.print(f"[bold]{escape(goal['title'])}[/]  {goal['id']}  {priority}")
    out.print(Text.assemble(status_text(goal["status"]), "  ", progress_cell(goal["progress_percentage"])))
    if goal.get("description"):
        out.print(goal["description"])
    criteria = goal.get("validation_criteria", {}).get("criteria", [])
    if criteria:
        out.print(_("[bold]Criteria[/]"))
        for criterion in criteria:
            out.print(Text(f"  • {render_raw(criterion, cli_locale())}"))
    out.print(task_table(tasks["items"]))


@goals_app.command("create", help=_("Create a goal, optionally inside a course and with validation criteria."))
@handles_api_errors
def create_goal(
    title: str,
    course: Annotated[str | None, typer.Option("--course", help=_("The course it belongs to."))] = None,
    description: Description = None,
    priority: Priority = "medium",
    criterion: Annotated[
        list[str] | None, typer.Option("--criterion", "-c", help=_("A validation criterion (repeat for more)."))
    ] = None,
    due: Due = None,
    tests: Annotated[
        list[Path] | None,
        typer.Option(
            "--tests",
            exists=True,
            dir_okay=False,
            readable=True,
            help=_("A test module run against each submission: pytest (.py) or node:test (.js). Repeatable."),
        ),
    ] = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    fields = _changes(title=title, course_id=course, description=description, priority=priority, due_date=due)
    criteria: list[Any] = [*(criterion or []), *(tests_criterion(path) for path in tests or [])]
    if criteria:
        fields["validation_criteria"] = {"criteria": criteria}
    with open_client(server) as client:
        goal = client.create_goal(fields)
    _report_saved(_("Created goal [bold]{id}[/]: {title}"), goal, as_json)


_FRAMEWORKS = {".py": "pytest", ".js": "node", ".cjs": "node", ".mjs": "node"}


def tests_criterion(path: Path) -> dict[str, str]:
    """A `tests` criterion from a test module; its extension says which runner it is for."""
    framework = _FRAMEWORKS.get(path.suffix.lower())
    if framework is None:
        raise ApiError(_("{path}: a test module is a .py file (pytest) or a .js file (node:test)").format(path=path))
    try:
        code = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(_("{path} is not UTF-8 text").format(path=path)) from exc
    return {"check": "tests", "framework": framework, "code": code}


@goals_app.command("update", help=_("Change a goal."))
@handles_api_errors
def update_goal(
    goal_id: str,
    title: NewTitle = None,
    description: Description = None,
    priority: NewPriority = None,
    status: GoalStatusOption = None,
    course: Annotated[str | None, typer.Option("--course", help=_("Move it to this course."))] = None,
    due: Due = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    changes = _changes(
        title=title, description=description, priority=priority, status=status, course_id=course, due_date=due
    )
    _need_changes(changes)
    with open_client(server) as client:
        goal = client.update_goal(goal_id, changes)
    _report_saved(_("Updated goal [bold]{id}[/]: {title} ({status})"), goal, as_json)


@goals_app.command("delete", help=_("Delete a goal and its tasks (their code snapshots are kept)."))
@handles_api_errors
def delete_goal(
    goal_id: str, yes: Yes = False, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False
) -> None:
    with open_client(server) as client:
        goal = client.get_goal(goal_id)
        _confirm_delete(_("Delete goal {title}?"), goal["title"], yes or as_json)
        client.delete_goal(goal_id)
    _report_deleted(_("Deleted goal {id}."), goal_id, as_json)


# Tasks


def task_table(tasks: list[JsonObject]) -> Table:
    table = Table(title=_("Tasks"), title_justify="left")
    table.add_column(_("ID"), no_wrap=True, min_width=30)
    table.add_column(_("Title"), ratio=1)
    table.add_column(_("Type"), no_wrap=True)
    table.add_column(_("Status"), no_wrap=True)
    table.add_column(_("Est. h"), justify="right", no_wrap=True)
    table.add_column(_("Score"), justify="right", no_wrap=True)
    for task in tasks:
        result = task.get("validation_result") or {}
        score = result.get("score")
        table.add_row(
            task["id"],
            task["title"],
            task_type_label(task["task_type"]),
            status_text(task["status"], task=True),
            "" if task.get("estimated_hours") is None else f"{task['estimated_hours']:g}",
            "" if score is None else f"{score * 100:.0f}%",
        )
    return table


@tasks_app.command("list", help=_("List your tasks."))
@handles_api_errors
def list_tasks(
    goal: Annotated[str | None, typer.Option("--goal", help=_("Only this goal's tasks."))] = None,
    status: Annotated[
        str | None, typer.Option(help=_("todo, in_progress, in_review, completed, failed or skipped."))
    ] = None,
    task_type: TaskTypeOption = None,
    limit: Limit = 50,
    offset: Offset = 0,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    with open_client(server) as client:
        page = client.list_tasks(goal_id=goal, status=status, task_type=task_type, limit=limit, offset=offset)
    if as_json:
        print_json(page)
        return
    out = stdout()
    out.print(task_table(page["items"]))
    total = page["total"]
    out.print(
        _page_footer(
            page,
            ngettext("{count} task", "{count} tasks", total),
            ngettext(
                "{shown} of {count} task (use --offset/--limit for more)",
                "{shown} of {count} tasks (use --offset/--limit for more)",
                total,
                shown=len(page["items"]),
            ),
        )
    )


@tasks_app.command("show", help=_("A task, with its latest review when it has one."))
@handles_api_errors
def show_task(task_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    with open_client(server) as client:
        task = client.get_task(task_id)
    if as_json:
        print_json(task)
        return
    out = stdout()
    where = _("({type}, goal {goal})").format(type=task_type_label(task["task_type"]), goal=task["goal_id"])
    out.print(f"[bold]{escape(task['title'])}[/]  {task['id']}  {where}")
    out.print(status_text(task["status"], task=True))
    if task.get("description"):
        out.print(task["description"])
    result = task.get("validation_result")
    if result:
        verdict = _("[green]passed[/]") if result.get("passed") else _("[red]not passed[/]")
        score = f"{result.get('score', 0) * 100:.0f}"
        out.print(_("Last review: {verdict}, score {score}%").format(verdict=verdict, score=score))
    if task.get("ai_feedback"):
        out.print(task["ai_feedback"])


@tasks_app.command("create", help=_("Create a task under a goal."))
@handles_api_errors
def create_task(
    goal_id: str,
    title: str,
    description: Description = None,
    task_type: Annotated[str, typer.Option("--type", help=_("code, documentation, testing, research, …"))] = "code",
    priority: TaskPriority = None,
    estimate: Estimate = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    fields = _changes(
        goal_id=goal_id,
        title=title,
        description=description,
        task_type=task_type,
        priority=priority,
        estimated_hours=estimate,
    )
    with open_client(server) as client:
        task = client.create_task(fields)
    _report_saved(_("Created task [bold]{id}[/]: {title}"), task, as_json)


@tasks_app.command("update", help=_("Change a task."))
@handles_api_errors
def update_task(
    task_id: str,
    title: NewTitle = None,
    description: Description = None,
    task_type: TaskTypeOption = None,
    status: Annotated[str | None, typer.Option(help=_("todo, in_progress, in_review, completed, …"))] = None,
    priority: TaskPriority = None,
    estimate: Estimate = None,
    actual: Annotated[float | None, typer.Option(min=0, help=_("Hours actually spent."))] = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    changes = _changes(
        title=title,
        description=description,
        task_type=task_type,
        status=status,
        priority=priority,
        estimated_hours=estimate,
        actual_hours=actual,
    )
    _need_changes(changes)
    with open_client(server) as client:
        task = client.update_task(task_id, changes)
    _report_saved(_("Updated task [bold]{id}[/]: {title} ({status})"), task, as_json, task=True)


@tasks_app.command("delete", help=_("Delete a task (its code snapshots are kept)."))
@handles_api_errors
def delete_task(
    task_id: str, yes: Yes = False, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False
) -> None:
    with open_client(server) as client:
        task = client.get_task(task_id)
        _confirm_delete(_("Delete task {title}?"), task["title"], yes or as_json)
        client.delete_task(task_id)
    _report_deleted(_("Deleted task {id}."), task_id, as_json)


# Status changes

# The legal road from each status to `completed` (the server's task lifecycle): a learner who says
# "complete" means "take it all the way", whatever step it is at.
_ROAD_TO_COMPLETED: dict[str, list[str]] = {
    "todo": ["in_progress", "in_review", "completed"],
    "in_progress": ["in_review", "completed"],
    "in_review": ["completed"],
    "failed": ["in_progress", "in_review", "completed"],
    "skipped": ["todo", "in_progress", "in_review", "completed"],
    "completed": [],
}


def _move(client: ApiClient, task_id: str, statuses: list[str]) -> JsonObject:
    task = client.get_task(task_id)
    for status in statuses:
        task = client.update_task(task_id, {"status": status})
    return task


def _report_move(task: JsonObject, previous: str, client: ApiClient, as_json: bool) -> None:
    goal = client.get_goal(task["goal_id"])
    if as_json:
        print_json({**task, "goal": goal})
        return
    out = stdout()
    if previous == task["status"]:
        already = status_label(previous, task=True)
        out.print(_("Task [bold]{id}[/] is already {status}.").format(id=task["id"], status=already))
    else:
        out.print(
            _("Task [bold]{id}[/] ({title}): {previous} → {status}").format(
                id=task["id"],
                title=escape(task["title"]),
                previous=status_label(previous, task=True),
                status=status_label(task["status"], task=True),
            )
        )
    out.print(
        Text.assemble(
            _("Goal {title}: ").format(title=goal["title"]),
            status_text(goal["status"]),
            "  ",
            progress_cell(goal["progress_percentage"]),
        )
    )


@task_app.command("start", help=_("Start working on a task (todo, failed or skipped → in_progress)."))
@handles_api_errors
def start_task(task_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    with open_client(server) as client:
        before = client.get_task(task_id)
        road = {"skipped": ["todo", "in_progress"], "in_progress": []}.get(before["status"], ["in_progress"])
        task = _move(client, task_id, road)
        _report_move(task, before["status"], client, as_json)


@task_app.command(
    "complete", help=_("Mark a task completed, passing through in_progress and in_review as the lifecycle requires.")
)
@handles_api_errors
def complete_task(task_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    with open_client(server) as client:
        before = client.get_task(task_id)
        task = _move(client, task_id, _ROAD_TO_COMPLETED.get(before["status"], ["completed"]))
        _report_move(task, before["status"], client, as_json)


@task_app.command("skip", help=_("Skip a task (it no longer counts against the goal's progress)."))
@handles_api_errors
def skip_task(task_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    with open_client(server) as client:
        before = client.get_task(task_id)
        task = _move(client, task_id, [] if before["status"] == "skipped" else ["skipped"])
        _report_move(task, before["status"], client, as_json)
