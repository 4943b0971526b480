"""What every learner command shares: the server and `--json` options, the client with its stored
tokens, the translation of API failures into exit codes, and Rich renderings of progress and status."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.text import Text

from ai_goals_tracker.api_server import ApiError, ValidationError
from ai_goals_tracker.cli.credentials import CredentialStore
from ai_goals_tracker.cli.language import _, cli_locale, pgettext

if TYPE_CHECKING:
    from ai_goals_tracker.client import ApiClient

ServerOption = Annotated[
    str,
    typer.Option(
        "--server", envvar="AIGT_SERVER", help=_("The API's base URL (AIGT_SERVER)."), show_default=True, metavar="URL"
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help=_("Print the API's JSON answer, for scripts."))]

P = ParamSpec("P")
R = TypeVar("R")


def stdout() -> Console:
    # Made per call, not at import: the width and the stream are read when the command runs.
    return Console(highlight=False, soft_wrap=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def open_client(server: str) -> ApiClient:
    """A client carrying this server's stored tokens, storing the refreshed ones as they come."""
    from ai_goals_tracker.client import ApiClient

    store = CredentialStore()
    return ApiClient(
        server,
        tokens=store.load(server),
        on_tokens=lambda tokens: store.save(server, tokens),
        language=cli_locale(),
    )


def handles_api_errors(command: Callable[P, R]) -> Callable[P, R]:
    """One line on stderr and a distinct exit code for each kind of failure (see `client.ApiError`)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ValidationError as exc:
            err = stderr()
            err.print(_("[bold red]error:[/] the server refused the input:"))
            for field in exc.fields:
                err.print(f"  [bold]{field.field}[/]: {field.message}")
            raise typer.Exit(exc.exit_code) from exc
        except ApiError as exc:
            stderr().print(_("[bold red]error:[/] {message}").format(message=exc.message))
            raise typer.Exit(exc.exit_code) from exc

    return wrapper


def print_json(value: Any) -> None:
    """`value` as the API would send it: models (also inside dicts and lists) as their JSON."""
    typer.echo(json.dumps(to_jsonable_python(value), indent=2, ensure_ascii=False))


def json_with(model: BaseModel, **extra: Any) -> dict[str, Any]:
    """`model`'s JSON with more keys after its own, such as a goal with its tasks."""
    return {**model.model_dump(mode="json"), **extra}


def progress_cell(percentage: float | None, width: int = 12) -> Text:
    """A bar and its number, drawn with block characters so it reads without colours too."""
    value = max(0.0, min(100.0, float(percentage or 0)))
    filled = round(value / 100 * width)
    bar = Text("█" * filled, style="green")
    bar.append("░" * (width - filled), style="grey42")
    bar.append(f" {value:3.0f}%")
    return bar


_STATUS_STYLE = {
    "todo": ("○", "dim"),
    "pending": ("○", "dim"),
    "draft": ("○", "dim"),
    "in_progress": ("▶", "cyan"),
    "active": ("▶", "cyan"),
    "in_review": ("⧗", "yellow"),
    "blocked": ("■", "yellow"),
    "completed": ("✔", "green"),
    "failed": ("✘", "red"),
    "skipped": ("↷", "dim"),
    "cancelled": ("✘", "dim"),
    "archived": ("▣", "dim"),
}


def status_label(status: str, *, task: bool = False) -> str:
    """A status as the learner reads it; in English, the value they type. A task is feminine in
    Spanish ("completada"), a goal or a course masculine, hence the context."""
    if task and status in ("completed", "failed", "skipped"):
        task_labels = {
            "completed": pgettext("task", "completed"),
            "failed": pgettext("task", "failed"),
            "skipped": pgettext("task", "skipped"),
        }
        return task_labels[status]
    labels = {
        "todo": _("todo"),
        "pending": _("pending"),
        "draft": _("draft"),
        "in_progress": _("in_progress"),
        "active": _("active"),
        "in_review": _("in_review"),
        "blocked": _("blocked"),
        "completed": _("completed"),
        "failed": _("failed"),
        "skipped": _("skipped"),
        "cancelled": _("cancelled"),
        "archived": _("archived"),
    }
    return labels.get(status, status)


def priority_label(priority: str) -> str:
    labels = {"low": _("low"), "medium": _("medium"), "high": _("high"), "urgent": _("urgent")}
    return labels.get(priority, priority)


def task_type_label(task_type: str) -> str:
    labels = {
        "code": _("code"),
        "research": _("research"),
        "documentation": _("documentation"),
        "testing": _("testing"),
        "deployment": _("deployment"),
        "review": _("review"),
        "other": _("other"),
    }
    return labels.get(task_type, task_type)


def status_text(status: str, *, task: bool = False) -> Text:
    icon, style = _STATUS_STYLE.get(status, ("·", ""))
    return Text(f"{icon} {status_label(status, task=task)}", style=style)


_SEVERITY_STYLE = {"critical": "bold red", "major": "red", "minor": "yellow", "info": "blue"}


def severity_text(severity: str) -> Text:
    labels = {"critical": _("critical"), "major": _("major"), "minor": _("minor"), "info": _("info")}
    return Text(labels.get(severity, severity), style=_SEVERITY_STYLE.get(severity, ""))


def short_date(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d}" if value else ""
