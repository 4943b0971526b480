"""The `aigt` command line: server administration here; learner commands join as sub-apps."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from ai_goals_tracker.cli.db import db_app, migrate, serve, worker
from ai_goals_tracker.cli.embeddings import embeddings_app
from ai_goals_tracker.cli.events import events_app
from ai_goals_tracker.cli.language import _, settle
from ai_goals_tracker.cli.learner import add_learner_commands
from ai_goals_tracker.cli.users import users_app
from ai_goals_tracker.errors import AppError

app = typer.Typer(
    name="aigt",
    help=_("AI Goals Tracker: learn by doing, with your code reviewed and explained."),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def choose_language(
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            envvar="AIGT_LANG",
            metavar="es|en",
            help=_("The language of the messages (AIGT_LANG); by default your preference, then LANG."),
        ),
    ] = None,
) -> None:
    settle(lang)


app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(embeddings_app, name="embeddings")
app.add_typer(events_app, name="events")
app.command()(migrate)
app.command()(serve)
app.command()(worker)
add_learner_commands(app)

_stderr = Console(stderr=True)


def main() -> None:
    """Entry point: any expected failure becomes one clear line on stderr and exit code 1."""
    try:
        app()
    except AppError as exc:
        _fail(exc.message)
    except ValidationError as exc:
        # Settings read from AIGT_* variables: name the variable and what is wrong with it.
        problems = "; ".join(f"AIGT_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        _fail(_("invalid configuration: {problems}").format(problems=problems))


def _fail(message: str) -> None:
    _stderr.print(_("[bold red]error:[/] {message}").format(message=message), highlight=False, soft_wrap=True)
    sys.exit(1)
