"""The learner commands, which talk to a running API over HTTP only (see `ai_goals_tracker.client`).

Each command's `--help` is given here, marked for translation, rather than in its docstring."""

from __future__ import annotations

from collections.abc import Callable

import typer

from ai_goals_tracker.cli import resources, search, session, stats, submit
from ai_goals_tracker.cli.language import _


def add_learner_commands(app: typer.Typer) -> None:
    panel = _("Learner")
    commands: list[tuple[Callable[..., None], str]] = [
        (session.register, _("Create an account on the server (then `aigt login`).")),
        (session.login, _("Log in and keep the tokens for the next commands.")),
        (session.logout, _("End the session on the server and forget the stored tokens.")),
        (session.whoami, _("Who you are logged in as.")),
        (
            session.language,
            _("Show or set your language (es or en): messages, reviews and the dashboard follow it."),
        ),
    ]
    for command, help_text in commands:
        app.command(rich_help_panel=panel, help=help_text)(command)
    app.add_typer(resources.courses_app, name="courses", rich_help_panel=panel)
    app.add_typer(resources.goals_app, name="goals", rich_help_panel=panel)
    app.add_typer(resources.tasks_app, name="tasks", rich_help_panel=panel)
    app.add_typer(resources.task_app, name="task", rich_help_panel=panel)
    commands = [
        (submit.submit, _("Submit a file as a code snapshot for a task, wait for its review, and show the verdict.")),
        (
            submit.review,
            _("Show the review of a submitted snapshot (or, with --retry, review a not-reviewed one again)."),
        ),
        (
            submit.judge,
            _("Confirm or reject a criterion of a review that awaits your judgement (see `aigt review`)."),
        ),
        (search.search, _("Search your courses, goals, tasks and code by meaning.")),
        (search.suggest, _("Suggest goals (with criteria and tasks) for a course, and save the ones you pick.")),
        (stats.stats, _("Your activity heatmap, streak, weekly completions and scores, and hours per goal.")),
    ]
    for command, help_text in commands:
        app.command(rich_help_panel=panel, help=help_text)(command)
    # `aigt events` is also the server's archive administration: the learner's listing joins it
    # as `aigt events recent` (and stands alone as `aigt events` where that group is absent).
    events_help = _("Your most recent events, newest last.")
    admin_events = next((group.typer_instance for group in app.registered_groups if group.name == "events"), None)
    if admin_events is not None:
        admin_events.command("recent", help=events_help)(stats.events)
    else:
        app.command("events", rich_help_panel=panel, help=events_help)(stats.events)
