"""The learner commands, which talk to a running API over HTTP only (see `ai_goals_tracker.client`)."""

from __future__ import annotations

from collections.abc import Callable

import typer

from ai_goals_tracker.cli import resources, search, session, stats, submit


def add_learner_commands(app: typer.Typer) -> None:
    commands: list[Callable[..., None]] = [session.register, session.login, session.logout, session.whoami]
    for command in commands:
        app.command(rich_help_panel="Learner")(command)
    app.add_typer(resources.courses_app, name="courses", rich_help_panel="Learner")
    app.add_typer(resources.goals_app, name="goals", rich_help_panel="Learner")
    app.add_typer(resources.tasks_app, name="tasks", rich_help_panel="Learner")
    app.add_typer(resources.task_app, name="task", rich_help_panel="Learner")
    commands = [submit.submit, submit.review, search.search, search.suggest, stats.stats]
    for command in commands:
        app.command(rich_help_panel="Learner")(command)
    # `aigt events` is also the server's archive administration: the learner's listing joins it
    # as `aigt events recent` (and stands alone as `aigt events` where that group is absent).
    admin_events = next((group.typer_instance for group in app.registered_groups if group.name == "events"), None)
    if admin_events is not None:
        admin_events.command("recent")(stats.events)
    else:
        app.command("events", rich_help_panel="Learner")(stats.events)
