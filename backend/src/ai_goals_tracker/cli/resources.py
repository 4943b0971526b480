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
    progress_cell,
    short_date,
    status_text,
    stdout,
)
from ai_goals_tracker.client import DEFAULT_SERVER, ApiClient, ApiError, JsonObject, Page
from ai_goals_tracker.criteria import render_raw

courses_app = typer.Typer(help="Your courses: list, show, create, update, delete.", no_args_is_help=True)
goals_app = typer.Typer(help="Your goals: list, show, create, update, delete.", no_args_is_help=True)
tasks_app = typer.Typer(help="Your tasks: list, show, create, update, delete.", no_args_is_help=True)
task_app = typer.Typer(help="Move a task along: start, complete, skip.", no_args_is_help=True)

Limit = Annotated[int, typer.Option(min=1, max=200, help="How many to list.")]
Offset = Annotated[int, typer.Option(min=0, help="How many to skip.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
Description = Annotated[str | None, typer.Option(help="What it is about.")]


def _changes(**fields: Any) -> dict[str, Any]:
    """Only the options given: a PATCH leaves everything else as it is."""
    return {name: value for name, value in fields.items() if value is not None}


def _need_changes(changes: dict[str, Any]) -> None:
    if not changes:
        raise typer.BadParameter("give at least one option to change (see --help)")


def _confirm_delete(kind: str, title: str, yes: bool) -> None:
    if not yes and not typer.confirm(f"Delete {kind} {title!r}?"):
        raise typer.Abort()


def _report_saved(verb: str, kind: str, entity: JsonObject, as_json: bool) -> None:
    if as_json:
        print_json(entity)
        return
    status = f" ({entity['status']})" if verb == "Updated" else ""
    stdout().print(f"{verb} {kind} [bold]{entity['id']}[/]: {escape(entity['title'])}{status}")


def _report_deleted(kind: str, entity_id: str, as_json: bool) -> None:
    if as_json:
        print_json({"deleted": entity_id})
        return
    stdout().print(f"Deleted {kind} {entity_id}.")


def _page_footer(page: Page, noun: str) -> str:
    shown = len(page["items"])
    plural = noun if page["total"] == 1 else f"{noun}s"
    if page["total"] > shown:
        return f"{shown} of {page['total']} {plural} (use --offset/--limit for more)"
    return f"{page['total']} {plural}"


# Courses


def course_table(courses: list[JsonObject]) -> Table:
    table = Table(title="Courses", title_justify="left")
    table.add_column("ID", no_wrap=True, min_width=30)
    table.add_column("Title", ratio=1)
    table.add_column("Status", no_wrap=True)
    table.add_column("Progress", no_wrap=True)
    for course in courses:
        table.add_row(
            course["id"], course["title"], status_text(course["status"]), progress_cell(course["progress_percentage"])
        )
    return table


@courses_app.command("list")
@handles_api_errors
def list_courses(
    status: Annotated[str | None, typer.Option(help="draft, active, completed or archived.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """List your courses with their progress."""
    with open_client(server) as client:
        page = client.list_courses(status=status, limit=limit, offset=offset)
    if as_json:
        print_json(page)
        return
    out = stdout()
    out.print(course_table(page["items"]))
    out.print(_page_footer(page, "course"))


@courses_app.command("show")
@handles_api_errors
def show_course(course_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    """A course and its goals."""
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


@courses_app.command("create")
@handles_api_errors
def create_course(
    title: str,
    description: Description = None,
    status: Annotated[str, typer.Option(help="draft or active.")] = "active",
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Create a course."""
    with open_client(server) as client:
        course = client.create_course(_changes(title=title, description=description, status=status))
    _report_saved("Created", "course", course, as_json)


@courses_app.command("update")
@handles_api_errors
def update_course(
    course_id: str,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    description: Description = None,
    status: Annotated[str | None, typer.Option(help="draft, active, completed or archived.")] = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Change a course's title, description or status."""
    changes = _changes(title=title, description=description, status=status)
    _need_changes(changes)
    with open_client(server) as client:
        course = client.update_course(course_id, changes)
    _report_saved("Updated", "course", course, as_json)


@courses_app.command("delete")
@handles_api_errors
def delete_course(
    course_id: str, yes: Yes = False, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False
) -> None:
    """Delete a course (its goals stay, without a course)."""
    with open_client(server) as client:
        course = client.get_course(course_id)
        _confirm_delete("course", course["title"], yes or as_json)
        client.delete_course(course_id)
    _report_deleted("course", course_id, as_json)


# Goals


def goal_table(goals: list[JsonObject]) -> Table:
    table = Table(title="Goals", title_justify="left")
    table.add_column("ID", no_wrap=True, min_width=30)
    table.add_column("Title", ratio=1)
    table.add_column("Status", no_wrap=True)
    table.add_column("Priority", no_wrap=True)
    table.add_column("Progress", no_wrap=True)
    with_due = any(goal.get("due_date") for goal in goals)
    if with_due:
        table.add_column("Due", no_wrap=True)
    for goal in goals:
        title = goal["title"] + (" [dim](AI)[/]" if goal.get("ai_generated") else "")
        cells = [
            goal["id"],
            title,
            status_text(goal["status"]),
            goal["priority"],
            progress_cell(goal["progress_percentage"]),
        ]
        table.add_row(*cells, *([short_date(goal.get("due_date"))] if with_due else []))
    return table


@goals_app.command("list")
@handles_api_errors
def list_goals(
    course: Annotated[str | None, typer.Option("--course", help="Only this course's goals.")] = None,
    status: Annotated[str | None, typer.Option(help="pending, in_progress, completed, blocked, cancelled.")] = None,
    priority: Annotated[str | None, typer.Option(help="low, medium, high or urgent.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """List your goals with their progress."""
    with open_client(server) as client:
        page = client.list_goals(course_id=course, status=status, priority=priority, limit=limit, offset=offset)
    if as_json:
        print_json(page)
        return
    out = stdout()
    out.print(goal_table(page["items"]))
    out.print(_page_footer(page, "goal"))


@goals_app.command("show")
@handles_api_errors
def show_goal(goal_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    """A goal, its validation criteria and its tasks."""
    with open_client(server) as client:
        goal = client.get_goal(goal_id)
        tasks = client.list_tasks(goal_id=goal_id, limit=200)
    if as_json:
        print_json({**goal, "tasks": tasks["items"]})
        return
    out = stdout()
    out.print(f"[bold]{escape(goal['title'])}[/]  {goal['id']}  priority {goal['priority']}")
    out.print(Text.assemble(status_text(goal["status"]), "  ", progress_cell(goal["progress_percentage"])))
    if goal.get("description"):
        out.print(goal["description"])
    criteria = goal.get("validation_criteria", {}).get("criteria", [])
    if criteria:
        out.print("[bold]Criteria[/]")
        for criterion in criteria:
            out.print(Text(f"  • {render_raw(criterion)}"))
    out.print(task_table(tasks["items"]))


@goals_app.command("create")
@handles_api_errors
def create_goal(
    title: str,
    course: Annotated[str | None, typer.Option("--course", help="The course it belongs to.")] = None,
    description: Description = None,
    priority: Annotated[str, typer.Option(help="low, medium, high or urgent.")] = "medium",
    criterion: Annotated[
        list[str] | None, typer.Option("--criterion", "-c", help="A validation criterion (repeat for more).")
    ] = None,
    due: Annotated[str | None, typer.Option(help="Due date, e.g. 2026-03-01.")] = None,
    tests: Annotated[
        list[Path] | None,
        typer.Option(
            "--tests",
            exists=True,
            dir_okay=False,
            readable=True,
            help="A test module run against each submission: pytest (.py) or node:test (.js). Repeatable.",
        ),
    ] = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Create a goal, optionally inside a course and with validation criteria."""
    fields = _changes(title=title, course_id=course, description=description, priority=priority, due_date=due)
    criteria: list[Any] = [*(criterion or []), *(tests_criterion(path) for path in tests or [])]
    if criteria:
        fields["validation_criteria"] = {"criteria": criteria}
    with open_client(server) as client:
        goal = client.create_goal(fields)
    _report_saved("Created", "goal", goal, as_json)


_FRAMEWORKS = {".py": "pytest", ".js": "node", ".cjs": "node", ".mjs": "node"}


def tests_criterion(path: Path) -> dict[str, str]:
    """A `tests` criterion from a test module; its extension says which runner it is for."""
    framework = _FRAMEWORKS.get(path.suffix.lower())
    if framework is None:
        raise ApiError(f"{path}: a test module is a .py file (pytest) or a .js file (node:test)")
    try:
        code = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(f"{path} is not UTF-8 text") from exc
    return {"check": "tests", "framework": framework, "code": code}


@goals_app.command("update")
@handles_api_errors
def update_goal(
    goal_id: str,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    description: Description = None,
    priority: Annotated[str | None, typer.Option(help="low, medium, high or urgent.")] = None,
    status: Annotated[str | None, typer.Option(help="pending, in_progress, completed, blocked, cancelled.")] = None,
    course: Annotated[str | None, typer.Option("--course", help="Move it to this course.")] = None,
    due: Annotated[str | None, typer.Option(help="Due date, e.g. 2026-03-01.")] = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Change a goal."""
    changes = _changes(
        title=title, description=description, priority=priority, status=status, course_id=course, due_date=due
    )
    _need_changes(changes)
    with open_client(server) as client:
        goal = client.update_goal(goal_id, changes)
    _report_saved("Updated", "goal", goal, as_json)


@goals_app.command("delete")
@handles_api_errors
def delete_goal(
    goal_id: str, yes: Yes = False, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False
) -> None:
    """Delete a goal and its tasks (their code snapshots are kept)."""
    with open_client(server) as client:
        goal = client.get_goal(goal_id)
        _confirm_delete("goal", goal["title"], yes or as_json)
        client.delete_goal(goal_id)
    _report_deleted("goal", goal_id, as_json)


# Tasks


def task_table(tasks: list[JsonObject]) -> Table:
    table = Table(title="Tasks", title_justify="left")
    table.add_column("ID", no_wrap=True, min_width=30)
    table.add_column("Title", ratio=1)
    table.add_column("Type", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Est. h", justify="right", no_wrap=True)
    table.add_column("Score", justify="right", no_wrap=True)
    for task in tasks:
        result = task.get("validation_result") or {}
        score = result.get("score")
        table.add_row(
            task["id"],
            task["title"],
            task["task_type"],
            status_text(task["status"]),
            "" if task.get("estimated_hours") is None else f"{task['estimated_hours']:g}",
            "" if score is None else f"{score * 100:.0f}%",
        )
    return table


@tasks_app.command("list")
@handles_api_errors
def list_tasks(
    goal: Annotated[str | None, typer.Option("--goal", help="Only this goal's tasks.")] = None,
    status: Annotated[
        str | None, typer.Option(help="todo, in_progress, in_review, completed, failed or skipped.")
    ] = None,
    task_type: Annotated[str | None, typer.Option("--type", help="code, documentation, testing, …")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """List your tasks."""
    with open_client(server) as client:
        page = client.list_tasks(goal_id=goal, status=status, task_type=task_type, limit=limit, offset=offset)
    if as_json:
        print_json(page)
        return
    out = stdout()
    out.print(task_table(page["items"]))
    out.print(_page_footer(page, "task"))


@tasks_app.command("show")
@handles_api_errors
def show_task(task_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    """A task, with its latest review when it has one."""
    with open_client(server) as client:
        task = client.get_task(task_id)
    if as_json:
        print_json(task)
        return
    out = stdout()
    out.print(f"[bold]{escape(task['title'])}[/]  {task['id']}  ({task['task_type']}, goal {task['goal_id']})")
    out.print(status_text(task["status"]))
    if task.get("description"):
        out.print(task["description"])
    result = task.get("validation_result")
    if result:
        verdict = "[green]passed[/]" if result.get("passed") else "[red]not passed[/]"
        out.print(f"Last review: {verdict}, score {result.get('score', 0) * 100:.0f}%")
    if task.get("ai_feedback"):
        out.print(task["ai_feedback"])


@tasks_app.command("create")
@handles_api_errors
def create_task(
    goal_id: str,
    title: str,
    description: Description = None,
    task_type: Annotated[str, typer.Option("--type", help="code, documentation, testing, research, …")] = "code",
    priority: Annotated[int | None, typer.Option(min=0, max=100, help="0-100, higher first.")] = None,
    estimate: Annotated[float | None, typer.Option(min=0, help="Estimated hours.")] = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Create a task under a goal."""
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
    _report_saved("Created", "task", task, as_json)


@tasks_app.command("update")
@handles_api_errors
def update_task(
    task_id: str,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    description: Description = None,
    task_type: Annotated[str | None, typer.Option("--type", help="code, documentation, testing, …")] = None,
    status: Annotated[str | None, typer.Option(help="todo, in_progress, in_review, completed, …")] = None,
    priority: Annotated[int | None, typer.Option(min=0, max=100, help="0-100, higher first.")] = None,
    estimate: Annotated[float | None, typer.Option(min=0, help="Estimated hours.")] = None,
    actual: Annotated[float | None, typer.Option(min=0, help="Hours actually spent.")] = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Change a task."""
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
    _report_saved("Updated", "task", task, as_json)


@tasks_app.command("delete")
@handles_api_errors
def delete_task(
    task_id: str, yes: Yes = False, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False
) -> None:
    """Delete a task (its code snapshots are kept)."""
    with open_client(server) as client:
        task = client.get_task(task_id)
        _confirm_delete("task", task["title"], yes or as_json)
        client.delete_task(task_id)
    _report_deleted("task", task_id, as_json)


# Status changes


def _report_move(task: JsonObject, previous: str, client: ApiClient, as_json: bool) -> None:
    goal = client.get_goal(task["goal_id"])
    if as_json:
        print_json({**task, "goal": goal})
        return
    out = stdout()
    if previous == task["status"]:
        out.print(f"Task [bold]{task['id']}[/] is already {task['status']}.")
    else:
        out.print(f"Task [bold]{task['id']}[/] ({escape(task['title'])}): {previous} → {task['status']}")
    out.print(
        Text.assemble(
            f"Goal {goal['title']}: ",
            status_text(goal["status"]),
            "  ",
            progress_cell(goal["progress_percentage"]),
        )
    )


@task_app.command("start")
@handles_api_errors
def start_task(task_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    """Start working on a task (todo, failed or skipped → in_progress)."""
    with open_client(server) as client:
        before = client.get_task(task_id)
        _report_move(client.move_task(task_id, "in_progress"), before["status"], client, as_json)


@task_app.command("complete")
@handles_api_errors
def complete_task(task_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    """Mark a task completed, passing through in_progress and in_review (a code task: by a passing review)."""
    with open_client(server) as client:
        before = client.get_task(task_id)
        _report_move(client.move_task(task_id, "completed"), before["status"], client, as_json)


@task_app.command("skip")
@handles_api_errors
def skip_task(task_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    """Skip a task (it no longer counts against the goal's progress)."""
    with open_client(server) as client:
        before = client.get_task(task_id)
        _report_move(client.move_task(task_id, "skipped"), before["status"], client, as_json)
