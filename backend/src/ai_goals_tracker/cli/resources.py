"""`aigt courses|goals|tasks list|show|create|update|delete` and `aigt task start|complete|skip`.

The three collections take the same five commands: `add_collection_commands` builds them from a
`CollectionCommands`, which holds only what differs (the options, the table, the detail view).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Generic, Protocol, TypeVar

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ai_goals_tracker.api_server import DEFAULT_SERVER, ApiError
from ai_goals_tracker.cli.common import (
    JsonOption,
    ServerOption,
    handles_api_errors,
    json_with,
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
from ai_goals_tracker.criteria import render_raw

if TYPE_CHECKING:
    # The client and its schemas are imported when a command runs (`open_client`).
    from ai_goals_tracker.client import ApiClient, Collection
    from ai_goals_tracker.courses.schemas import CourseRead
    from ai_goals_tracker.goals.schemas import GoalRead
    from ai_goals_tracker.tasks.schemas import TaskRead

courses_app = typer.Typer(help=_("Your courses: list, show, create, update, delete."), no_args_is_help=True)
goals_app = typer.Typer(help=_("Your goals: list, show, create, update, delete."), no_args_is_help=True)
tasks_app = typer.Typer(help=_("Your tasks: list, show, create, update, delete."), no_args_is_help=True)
task_app = typer.Typer(help=_("Move a task along: start, complete, skip."), no_args_is_help=True)

Limit = Annotated[int, typer.Option(min=1, max=200, help=_("How many to list."))]
Offset = Annotated[int, typer.Option(min=0, help=_("How many to skip."))]
Yes = Annotated[bool, typer.Option("--yes", "-y", help=_("Do not ask for confirmation."))]
Description = Annotated[str | None, typer.Option(help=_("What it is about."))]
NewTitle = Annotated[str | None, typer.Option(help=_("New title."))]
GoalPriorityOption = Annotated[str | None, typer.Option(help=_("low, medium, high or urgent."))]
GoalStatusOption = Annotated[str | None, typer.Option(help=_("pending, in_progress, completed, blocked, cancelled."))]
TaskPriorityOption = Annotated[int | None, typer.Option(min=0, max=100, help=_("0-100, higher first."))]
EstimateOption = Annotated[float | None, typer.Option("--estimate", min=0, help=_("Estimated hours."))]
CourseStatusOption = Annotated[str | None, typer.Option(help=_("draft, active, completed or archived."))]
NewTaskStatusOption = Annotated[str | None, typer.Option(help=_("todo, in_progress, in_review, completed, …"))]
ActualOption = Annotated[float | None, typer.Option("--actual", min=0, help=_("Hours actually spent."))]
DueOption = Annotated[str | None, typer.Option("--due", help=_("Due date, e.g. 2026-03-01."))]


class Entity(Protocol):
    """What every collection's read schema has, and the shared commands show."""

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def status(self) -> str: ...


EntityT = TypeVar("EntityT", bound=Entity)


@dataclass(frozen=True)
class Param:
    """A command-line parameter as Typer reads it from a signature. Its name is the API's field or
    query parameter it fills (the flag may differ: `course_id` is `--course`)."""

    name: str
    annotation: Any
    default: Any = inspect.Parameter.empty

    def parameter(self) -> inspect.Parameter:
        return inspect.Parameter(
            self.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=self.default, annotation=self.annotation
        )


SERVER = Param("server", ServerOption, DEFAULT_SERVER)
AS_JSON = Param("as_json", JsonOption, False)
LIMIT = Param("limit", Limit, 50)
OFFSET = Param("offset", Offset, 0)
DESCRIPTION = Param("description", Description, None)
NEW_TITLE = Param("title", NewTitle, None)


def _given(values: dict[str, Any]) -> dict[str, Any]:
    """Only the options given: a PATCH leaves everything else as it is."""
    return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class CollectionTexts:
    created: Callable[[], str]  # `{id}`, `{title}`
    updated: Callable[[], str]  # `{id}`, `{title}`, `{status}`
    deleted: Callable[[], str]  # `{id}`
    confirm_delete: Callable[[], str]  # `{title}`
    # The page footer from the total and how many are shown.
    footer: Callable[[int, int], str]


@dataclass(frozen=True)
class CollectionCommands(Generic[EntityT]):
    """What one collection's commands do differently; the help texts are the commands' own."""

    noun: str
    collection: Callable[[ApiClient], Collection[EntityT]]
    table: Callable[[Sequence[EntityT]], Table]
    # Prints one entity (with what hangs from it) as JSON or for people.
    show: Callable[[ApiClient, EntityT, bool], None]
    filters: Sequence[Param]
    create: Sequence[Param]
    update: Sequence[Param]
    help: dict[str, str]
    # Whole sentences per collection, said when the command runs: in Spanish the noun's gender
    # changes the rest of the sentence.
    texts: CollectionTexts
    # The request body from the create command's values (all of them, None included).
    create_body: Callable[[dict[str, Any]], dict[str, Any]] = field(default=_given)


def add_collection_commands(app: typer.Typer, spec: CollectionCommands[EntityT]) -> None:
    """`list`, `show`, `create`, `update` and `delete` for one collection, on `app`."""
    entity_id = Param(f"{spec.noun}_id", str)

    def list_(*, server: str, as_json: bool, limit: int, offset: int, **filters: str | None) -> None:
        with open_client(server) as client:
            page = spec.collection(client).list(limit=limit, offset=offset, **filters)
        if as_json:
            print_json(page)
            return
        out = stdout()
        out.print(spec.table(page.items))
        out.print(spec.texts.footer(page.total, len(page.items)))

    def show(*, server: str, as_json: bool, **ids: str) -> None:
        with open_client(server) as client:
            spec.show(client, spec.collection(client).get(ids[entity_id.name]), as_json)

    def create(*, server: str, as_json: bool, **values: Any) -> None:
        body = spec.create_body(values)
        with open_client(server) as client:
            entity = spec.collection(client).create(body)
        _report_saved(spec.texts.created(), entity, as_json)

    def update(*, server: str, as_json: bool, **values: Any) -> None:
        identifier = values.pop(entity_id.name)
        changes = _given(values)
        if not changes:
            raise typer.BadParameter(_("give at least one option to change (see --help)"))
        with open_client(server) as client:
            entity = spec.collection(client).update(identifier, changes)
        _report_saved(spec.texts.updated(), entity, as_json, task=spec.noun == "task")

    def delete(*, server: str, as_json: bool, yes: bool, **ids: str) -> None:
        identifier = ids[entity_id.name]
        with open_client(server) as client:
            collection = spec.collection(client)
            entity = collection.get(identifier)
            if not (yes or as_json) and not typer.confirm(spec.texts.confirm_delete().format(title=repr(entity.title))):
                raise typer.Abort()
            collection.delete(identifier)
        if as_json:
            print_json({"deleted": identifier})
            return
        stdout().print(spec.texts.deleted().format(id=identifier))

    commands: list[tuple[str, Callable[..., None], Sequence[Param]]] = [
        ("list", list_, [*spec.filters, LIMIT, OFFSET]),
        ("show", show, [entity_id]),
        ("create", create, spec.create),
        ("update", update, [entity_id, *spec.update]),
        ("delete", delete, [entity_id, Param("yes", Yes, False)]),
    ]
    for name, run, params in commands:
        command = handles_api_errors(run)
        # Typer reads the options from the signature: each command declares its own.
        signature = inspect.Signature([param.parameter() for param in [*params, SERVER, AS_JSON]])
        command.__signature__ = signature  # type: ignore[attr-defined]
        app.command(name, help=spec.help[name])(command)


def _report_saved(sentence: str, entity: Entity, as_json: bool, *, task: bool = False) -> None:
    """`sentence` has `{id}` and `{title}` placeholders, and `{status}` for an update."""
    if as_json:
        print_json(entity)
        return
    status = status_label(entity.status, task=task)
    stdout().print(sentence.format(id=entity.id, title=escape(entity.title), status=status))


def _heading(title: str, entity_id: str, suffix: str = "") -> str:
    return f"[bold]{escape(title)}[/]  {entity_id}{suffix}"


# Courses


def course_table(courses: Sequence[CourseRead]) -> Table:
    table = Table(title=_("Courses"), title_justify="left")
    table.add_column(_("ID"), no_wrap=True, min_width=30)
    table.add_column(_("Title"), ratio=1)
    table.add_column(_("Status"), no_wrap=True)
    table.add_column(_("Progress"), no_wrap=True)
    for course in courses:
        table.add_row(course.id, course.title, status_text(course.status), progress_cell(course.progress_percentage))
    return table


def show_course(client: ApiClient, course: CourseRead, as_json: bool) -> None:
    goals = client.goals.list(course_id=course.id, limit=200)
    if as_json:
        print_json(json_with(course, goals=goals.items))
        return
    out = stdout()
    out.print(_heading(course.title, course.id))
    out.print(Text.assemble(status_text(course.status), "  ", progress_cell(course.progress_percentage)))
    if course.description:
        out.print(course.description)
    out.print(goal_table(goals.items))


COURSES: CollectionCommands[CourseRead] = CollectionCommands(
    noun="course",
    texts=CollectionTexts(
        created=lambda: _("Created course [bold]{id}[/]: {title}"),
        updated=lambda: _("Updated course [bold]{id}[/]: {title} ({status})"),
        deleted=lambda: _("Deleted course {id}."),
        confirm_delete=lambda: _("Delete course {title}?"),
        footer=lambda total, shown: (
            ngettext(
                "{shown} of {count} course (use --offset/--limit for more)",
                "{shown} of {count} courses (use --offset/--limit for more)",
                total,
                shown=shown,
            )
            if total > shown
            else ngettext("{count} course", "{count} courses", total)
        ),
    ),
    collection=lambda client: client.courses,
    table=course_table,
    show=show_course,
    filters=[
        Param("status", Annotated[str | None, typer.Option(help=_("draft, active, completed or archived."))], None)
    ],
    create=[
        Param("title", str),
        DESCRIPTION,
        Param("status", Annotated[str, typer.Option(help=_("draft or active."))], "active"),
    ],
    update=[
        NEW_TITLE,
        DESCRIPTION,
        Param("status", CourseStatusOption, None),
    ],
    help={
        "list": _("List your courses with their progress."),
        "show": _("A course and its goals."),
        "create": _("Create a course."),
        "update": _("Change a course's title, description or status."),
        "delete": _("Delete a course (its goals stay, without a course)."),
    },
)


# Goals


def goal_table(goals: Sequence[GoalRead]) -> Table:
    table = Table(title=_("Goals"), title_justify="left")
    table.add_column(_("ID"), no_wrap=True, min_width=30)
    table.add_column(_("Title"), ratio=1)
    table.add_column(_("Status"), no_wrap=True)
    table.add_column(_("Priority"), no_wrap=True)
    table.add_column(_("Progress"), no_wrap=True)
    with_due = any(goal.due_date for goal in goals)
    if with_due:
        table.add_column(_("Due"), no_wrap=True)
    for goal in goals:
        title = goal.title + (_(" [dim](AI)[/]") if goal.ai_generated else "")
        cells: list[str | Text] = [
            goal.id,
            title,
            status_text(goal.status),
            priority_label(goal.priority),
            progress_cell(goal.progress_percentage),
        ]
        table.add_row(*cells, *([short_date(goal.due_date)] if with_due else []))
    return table


def show_goal(client: ApiClient, goal: GoalRead, as_json: bool) -> None:
    tasks = client.tasks.list(goal_id=goal.id, limit=200)
    if as_json:
        print_json(json_with(goal, tasks=tasks.items))
        return
    out = stdout()
    priority = _("priority {priority}").format(priority=priority_label(goal.priority))
    out.print(_heading(goal.title, goal.id, f"  {priority}"))
    out.print(Text.assemble(status_text(goal.status), "  ", progress_cell(goal.progress_percentage)))
    if goal.description:
        out.print(goal.description)
    criteria = goal.validation_criteria.get("criteria", [])
    if criteria:
        out.print(_("[bold]Criteria[/]"))
        for criterion in criteria:
            out.print(Text(f"  • {render_raw(criterion, cli_locale())}"))
    out.print(task_table(tasks.items))


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


def goal_body(values: dict[str, Any]) -> dict[str, Any]:
    """`--criterion` sentences and `--tests` modules become the goal's validation criteria."""
    sentences: list[str] = values.pop("criterion") or []
    modules: list[Path] = values.pop("tests") or []
    fields = _given(values)
    criteria: list[Any] = [*sentences, *(tests_criterion(path) for path in modules)]
    if criteria:
        fields["validation_criteria"] = {"criteria": criteria}
    return fields


GOALS: CollectionCommands[GoalRead] = CollectionCommands(
    noun="goal",
    texts=CollectionTexts(
        created=lambda: _("Created goal [bold]{id}[/]: {title}"),
        updated=lambda: _("Updated goal [bold]{id}[/]: {title} ({status})"),
        deleted=lambda: _("Deleted goal {id}."),
        confirm_delete=lambda: _("Delete goal {title}?"),
        footer=lambda total, shown: (
            ngettext(
                "{shown} of {count} goal (use --offset/--limit for more)",
                "{shown} of {count} goals (use --offset/--limit for more)",
                total,
                shown=shown,
            )
            if total > shown
            else ngettext("{count} goal", "{count} goals", total)
        ),
    ),
    collection=lambda client: client.goals,
    table=goal_table,
    show=show_goal,
    filters=[
        Param("course_id", Annotated[str | None, typer.Option("--course", help=_("Only this course's goals."))], None),
        Param("status", GoalStatusOption, None),
        Param("priority", GoalPriorityOption, None),
    ],
    create=[
        Param("title", str),
        Param("course_id", Annotated[str | None, typer.Option("--course", help=_("The course it belongs to."))], None),
        DESCRIPTION,
        Param("priority", Annotated[str, typer.Option(help=_("low, medium, high or urgent."))], "medium"),
        Param(
            "criterion",
            Annotated[
                list[str] | None,
                typer.Option("--criterion", "-c", help=_("A validation criterion (repeat for more).")),
            ],
            None,
        ),
        Param("due_date", DueOption, None),
        Param(
            "tests",
            Annotated[
                list[Path] | None,
                typer.Option(
                    "--tests",
                    exists=True,
                    dir_okay=False,
                    readable=True,
                    help=_("A test module run against each submission: pytest (.py) or node:test (.js). Repeatable."),
                ),
            ],
            None,
        ),
    ],
    update=[
        NEW_TITLE,
        DESCRIPTION,
        Param("priority", GoalPriorityOption, None),
        Param("status", GoalStatusOption, None),
        Param("course_id", Annotated[str | None, typer.Option("--course", help=_("Move it to this course."))], None),
        Param("due_date", DueOption, None),
    ],
    help={
        "list": _("List your goals with their progress."),
        "show": _("A goal, its validation criteria and its tasks."),
        "create": _("Create a goal, optionally inside a course and with validation criteria."),
        "update": _("Change a goal."),
        "delete": _("Delete a goal and its tasks (their code snapshots are kept)."),
    },
    create_body=goal_body,
)


# Tasks


def task_table(tasks: Sequence[TaskRead]) -> Table:
    table = Table(title=_("Tasks"), title_justify="left")
    table.add_column(_("ID"), no_wrap=True, min_width=30)
    table.add_column(_("Title"), ratio=1)
    table.add_column(_("Type"), no_wrap=True)
    table.add_column(_("Status"), no_wrap=True)
    table.add_column(_("Est. h"), justify="right", no_wrap=True)
    table.add_column(_("Score"), justify="right", no_wrap=True)
    for task in tasks:
        score = (task.validation_result or {}).get("score")
        table.add_row(
            task.id,
            task.title,
            task_type_label(task.task_type),
            status_text(task.status, task=True),
            "" if task.estimated_hours is None else f"{task.estimated_hours:g}",
            "" if score is None else f"{score * 100:.0f}%",
        )
    return table


def show_task(_client: ApiClient, task: TaskRead, as_json: bool) -> None:
    if as_json:
        print_json(task)
        return
    out = stdout()
    where = _("({type}, goal {goal})").format(type=task_type_label(task.task_type), goal=task.goal_id)
    out.print(_heading(task.title, task.id, f"  {where}"))
    out.print(status_text(task.status, task=True))
    if task.description:
        out.print(task.description)
    result = task.validation_result
    if result and result.get("status") == "awaiting_judgement":
        out.print(
            _("Last review: [yellow]awaiting your judgement[/] (see `aigt review {id}`)").format(
                id=result.get("snapshot_id")
            )
        )
    elif result:
        verdict = _("[green]passed[/]") if result.get("passed") else _("[red]not passed[/]")
        score = f"{(result.get('score') or 0) * 100:.0f}"
        out.print(_("Last review: {verdict}, score {score}%").format(verdict=verdict, score=score))
    if task.ai_feedback:
        out.print(task.ai_feedback)


TaskTypeOption = Annotated[str | None, typer.Option("--type", help=_("code, documentation, testing, …"))]

TASKS: CollectionCommands[TaskRead] = CollectionCommands(
    noun="task",
    texts=CollectionTexts(
        created=lambda: _("Created task [bold]{id}[/]: {title}"),
        updated=lambda: _("Updated task [bold]{id}[/]: {title} ({status})"),
        deleted=lambda: _("Deleted task {id}."),
        confirm_delete=lambda: _("Delete task {title}?"),
        footer=lambda total, shown: (
            ngettext(
                "{shown} of {count} task (use --offset/--limit for more)",
                "{shown} of {count} tasks (use --offset/--limit for more)",
                total,
                shown=shown,
            )
            if total > shown
            else ngettext("{count} task", "{count} tasks", total)
        ),
    ),
    collection=lambda client: client.tasks,
    table=task_table,
    show=show_task,
    filters=[
        Param("goal_id", Annotated[str | None, typer.Option("--goal", help=_("Only this goal's tasks."))], None),
        Param(
            "status",
            Annotated[str | None, typer.Option(help=_("todo, in_progress, in_review, completed, failed or skipped."))],
            None,
        ),
        Param("task_type", TaskTypeOption, None),
    ],
    create=[
        Param("goal_id", str),
        Param("title", str),
        DESCRIPTION,
        Param(
            "task_type",
            Annotated[str, typer.Option("--type", help=_("code, documentation, testing, research, …"))],
            "code",
        ),
        Param("priority", TaskPriorityOption, None),
        Param("estimated_hours", EstimateOption, None),
    ],
    update=[
        NEW_TITLE,
        DESCRIPTION,
        Param("task_type", TaskTypeOption, None),
        Param(
            "status", Annotated[str | None, typer.Option(help=_("todo, in_progress, in_review, completed, …"))], None
        ),
        Param("priority", TaskPriorityOption, None),
        Param("estimated_hours", EstimateOption, None),
        Param(
            "actual_hours",
            Annotated[float | None, typer.Option("--actual", min=0, help=_("Hours actually spent."))],
            None,
        ),
    ],
    help={
        "list": _("List your tasks."),
        "show": _("A task, with its latest review when it has one."),
        "create": _("Create a task under a goal."),
        "update": _("Change a task."),
        "delete": _("Delete a task (its code snapshots are kept)."),
    },
)

add_collection_commands(courses_app, COURSES)
add_collection_commands(goals_app, GOALS)
add_collection_commands(tasks_app, TASKS)


# Status changes


def _report_move(task: TaskRead, previous: str, client: ApiClient, as_json: bool) -> None:
    goal = client.goals.get(task.goal_id)
    if as_json:
        print_json(json_with(task, goal=goal))
        return
    out = stdout()
    if previous == task.status:
        already = status_label(previous, task=True)
        out.print(_("Task [bold]{id}[/] is already {status}.").format(id=task.id, status=already))
    else:
        out.print(
            _("Task [bold]{id}[/] ({title}): {previous} → {status}").format(
                id=task.id,
                title=escape(task.title),
                previous=status_label(previous, task=True),
                status=status_label(task.status, task=True),
            )
        )
    out.print(
        Text.assemble(
            _("Goal {title}: ").format(title=goal.title),
            status_text(goal.status),
            "  ",
            progress_cell(goal.progress_percentage),
        )
    )


@task_app.command("start", help=_("Start working on a task (todo, failed or skipped → in_progress)."))
@handles_api_errors
def start_task(task_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    with open_client(server) as client:
        before = client.tasks.get(task_id)
        _report_move(client.move_task(task_id, "in_progress"), before.status, client, as_json)


@task_app.command(
    "complete",
    help=_("Mark a task completed, passing through in_progress and in_review (a code task: by a passing review)."),
)
@handles_api_errors
def complete_task(task_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    with open_client(server) as client:
        before = client.tasks.get(task_id)
        _report_move(client.move_task(task_id, "completed"), before.status, client, as_json)


@task_app.command("skip", help=_("Skip a task (it no longer counts against the goal's progress)."))
@handles_api_errors
def skip_task(task_id: str, server: ServerOption = DEFAULT_SERVER, as_json: JsonOption = False) -> None:
    with open_client(server) as client:
        before = client.tasks.get(task_id)
        _report_move(client.move_task(task_id, "skipped"), before.status, client, as_json)
