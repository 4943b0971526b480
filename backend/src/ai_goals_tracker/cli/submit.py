"""`aigt submit TASK_ID FILE` and `aigt review SNAPSHOT_ID`: send code, wait for its review, show it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ai_goals_tracker.api_server import DEFAULT_SERVER, MAX_WAIT_SECONDS, ApiError
from ai_goals_tracker.cli.common import (
    JsonOption,
    ServerOption,
    handles_api_errors,
    open_client,
    print_json,
    progress_cell,
    severity_text,
    status_text,
    stderr,
    stdout,
)
from ai_goals_tracker.cli.language import _, cli_locale
from ai_goals_tracker.criteria import render_raw

if TYPE_CHECKING:
    from ai_goals_tracker.client import ApiClient
    from ai_goals_tracker.goals.schemas import GoalRead
    from ai_goals_tracker.snapshots.schemas import SnapshotRead
    from ai_goals_tracker.tasks.schemas import TaskRead

POLL_SECONDS = 1.0
# Exit code when the review did not finish within --timeout: the snapshot is stored, only the verdict is missing.
EXIT_REVIEW_PENDING = 8
# Exit code for a finished review that did not pass, so scripts can tell it from a passed one.
EXIT_REVIEW_FAILED = 9
# Exit code for a review that could not reach a verdict (an analyzer did not finish, the file is too large).
EXIT_NOT_REVIEWED = 10
# Exit code for a review whose criteria wait for the learner's judgement (`aigt judge`): no verdict yet.
EXIT_AWAITING_JUDGEMENT = 11


def wait_for_review(client: ApiClient, snapshot: SnapshotRead, timeout: float) -> SnapshotRead:
    """Poll the snapshot until its review is written or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while snapshot.review_status == "pending" and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        snapshot = client.get_snapshot(snapshot.id)
    return snapshot


@handles_api_errors
def submit(
    task_id: Annotated[str, typer.Argument(help=_("The task this code is for."))],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help=_("The file to submit."))],
    language: Annotated[str | None, typer.Option(help=_("Override the language inferred from the extension."))] = None,
    timeout: Annotated[float, typer.Option(min=0, help=_("Seconds to wait for the review before giving up."))] = 120,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    try:
        code = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(_("{file} is not UTF-8 text; only source files can be reviewed").format(file=file)) from exc
    out = stdout()
    with open_client(server) as client:
        with _spinner(out, as_json, _("Reviewing {file}…").format(file=file.name)):
            snapshot = client.submit_snapshot(
                task_id,
                file_path=file.as_posix(),
                code_content=code,
                language=language,
                wait=min(MAX_WAIT_SECONDS, int(timeout)),
            )
            snapshot = wait_for_review(client, snapshot, timeout)
        _show_outcome(client, snapshot, out, as_json)


@handles_api_errors
def review(
    snapshot_id: Annotated[str, typer.Argument(help=_("A snapshot id, as `aigt submit` prints it."))],
    timeout: Annotated[float, typer.Option(min=0, help=_("Seconds to wait if the review is still running."))] = 0,
    retry: Annotated[
        bool, typer.Option("--retry", help=_("Review again a snapshot that could not be reviewed, and wait for it."))
    ] = False,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    out = stdout()
    with open_client(server) as client:
        snapshot = client.retry_review(snapshot_id) if retry else client.get_snapshot(snapshot_id)
        wait = max(timeout, 120.0) if retry else timeout
        with _spinner(out, as_json or wait == 0, _("Waiting for the review…")):
            snapshot = wait_for_review(client, snapshot, wait)
        _show_outcome(client, snapshot, out, as_json)


class _NoSpinner:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        return None


def _spinner(out: Console, quiet: bool, message: str) -> Any:
    return _NoSpinner() if quiet else out.status(message, spinner="dots")


@handles_api_errors
def judge(
    snapshot_id: Annotated[str, typer.Argument(help=_("A snapshot id, as `aigt submit` prints it."))],
    index: Annotated[int, typer.Argument(min=0, help=_("The criterion's number, as `aigt review` shows it."))],
    met: Annotated[
        bool,
        typer.Option(
            "--met/--not-met", help=_("Confirm that the code meets the criterion, or reject it."), show_default=False
        ),
    ],
    note: Annotated[str | None, typer.Option(help=_("Why, in a few words (kept with your judgement)."))] = None,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    out = stdout()
    with open_client(server) as client:
        snapshot = client.judge_criterion(snapshot_id, index, met=met, note=note)
        _show_outcome(client, snapshot, out, as_json)


def _show_outcome(client: ApiClient, snapshot: SnapshotRead, out: Console, as_json: bool) -> None:
    task = client.tasks.get(snapshot.task_id) if snapshot.task_id else None
    goal = client.goals.get(task.goal_id) if task else None
    if as_json:
        print_json({"snapshot": snapshot, "task": task, "goal": goal})
    else:
        render_review(out, snapshot, task, goal)
    if snapshot.review_status == "pending":
        stderr().print(
            _("The review of {id} is still running; see it later with `aigt review {id}`.").format(id=snapshot.id)
        )
        raise typer.Exit(EXIT_REVIEW_PENDING)
    if snapshot.review_status == "not_reviewed":
        stderr().print(
            _("Submit again, or ask for a new review with `aigt review {id} --retry`.").format(id=snapshot.id)
        )
        raise typer.Exit(EXIT_NOT_REVIEWED)
    if snapshot.review_status == "awaiting_judgement":
        first = snapshot.awaiting_criteria[0].index if snapshot.awaiting_criteria else 0
        stderr().print(
            _("Confirm or reject each waiting criterion, e.g. `aigt judge {id} {index} --met` or `--not-met`.").format(
                id=snapshot.id, index=first
            )
        )
        raise typer.Exit(EXIT_AWAITING_JUDGEMENT)
    if not snapshot.validation_passed:
        raise typer.Exit(EXIT_REVIEW_FAILED)


def render_review(out: Console, snapshot: SnapshotRead, task: TaskRead | None, goal: GoalRead | None) -> None:
    # Imported here: rich's Markdown (and its parser) serves this one view.
    from rich.markdown import Markdown

    out.print(
        _("Snapshot [bold]{id}[/] of {file} ({language})").format(
            id=snapshot.id, file=escape(snapshot.file_path), language=snapshot.language or "?"
        )
    )
    if snapshot.review_status == "pending":
        out.print(_("[yellow]⧗ Review pending[/]"))
        return
    if snapshot.review_status == "not_reviewed":
        out.print(Text(_("⊘ NOT REVIEWED"), style="bold yellow"), Text(f" {snapshot.review_reason or ''}"))
        if snapshot.issues_found:
            out.print(findings_table(snapshot.issues_found))
        if task:
            still = _("Task {id} ({title}) is still ").format(id=task.id, title=task.title)
            out.print(Text.assemble(still, status_text(task.status, task=True)))
        return
    if snapshot.review_status == "awaiting_judgement":
        out.print(Text(_("⧗ AWAITING YOUR JUDGEMENT"), style="bold yellow"), Text(f" {snapshot.review_reason or ''}"))
    else:
        score = snapshot.validation_score or 0.0
        verdict = (
            Text(_("✔ PASSED"), style="bold green")
            if snapshot.validation_passed
            else Text(_("✘ NOT PASSED"), "bold red")
        )
        out.print(verdict, Text(_(" score {score}%").format(score=f"{score * 100:.0f}"), style="bold"))

    # This snapshot's own review: the task's may belong to a newer attempt.
    criteria = snapshot.metadata.get("review", {}).get("criteria") or []
    if criteria:
        out.print(criteria_table(criteria))
    for item in criteria:
        if item.get("tests"):
            out.print(tests_table(item))
    coverage = snapshot.metadata.get("test_coverage")
    if coverage is not None:
        covered = _("Coverage of {file} by the goal's tests: {coverage}%").format(
            file=snapshot.file_path, coverage=f"{coverage * 100:.0f}"
        )
        out.print(Text(covered, style="bold"))

    if snapshot.issues_found:
        out.print(findings_table(snapshot.issues_found))
    else:
        out.print(_("No findings."))

    if snapshot.validation_feedback:
        out.print(Text(_("Feedback"), style="bold underline"))
        out.print(Markdown(snapshot.validation_feedback))

    if task:
        now = _("Task {id} ({title}) is now ").format(id=task.id, title=task.title)
        out.print(Text.assemble(now, status_text(task.status, task=True)))
    if goal:
        progress = _("Goal {title}: ").format(title=goal.title)
        out.print(Text.assemble(progress, progress_cell(goal.progress_percentage)))


# Criteria results, test runs and findings are free-form JSON in the schemas (`dict[str, Any]`).
JsonObject = dict[str, Any]


def criteria_table(criteria: list[JsonObject]) -> Table:
    table = Table(title=_("Criteria"), title_justify="left")
    table.add_column("#", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column(_("Criterion"), ratio=1)
    table.add_column(_("Decided by"), no_wrap=True)
    table.add_column(_("Evidence"), ratio=1)
    marks = {"met": Text("✔", "green"), "not_met": Text("✘", "red"), "needs_human": Text("?", "yellow")}
    for index, item in enumerate(criteria):
        # Text, not str: a regex criterion such as `Annotated\[` must not be read as Rich markup.
        criterion = Text(str(item.get("label") or render_raw(item.get("criterion"), cli_locale())))
        evidence = Text(str(item.get("evidence") or ""))
        if item.get("note"):
            evidence.append("\n" + _("Note: {note}").format(note=item["note"]), style="italic")
        status = str(item.get("status"))
        table.add_row(str(index), marks.get(status, Text("·")), criterion, _decided_by(item, status), evidence)
    return table


def _decided_by(item: JsonObject, status: str) -> Text:
    """Checked, judged by the model, or confirmed/rejected by a person; waiting when nobody decided it."""
    if status == "needs_human":
        return Text(_("waiting for you"), style="bold yellow")
    # Anything else is a check: reviews stored before people could judge said `analyzer`.
    judge = item.get("judged_by")
    if judge == "llm":
        return Text(_("the model"))
    if judge == "learner":
        return Text(_("you"), style="bold magenta")
    if judge == "owner":
        return Text(_("the goal's owner"), style="bold magenta")
    return Text(_("a check"), style="dim")


def tests_table(item: JsonObject) -> Table:
    """Each test of a `tests` criterion: passed or failed, with the assertion's message as written."""
    tests: list[JsonObject] = item.get("tests") or []
    passed = sum(test.get("status") == "passed" for test in tests)
    title = _("Tests: {passed} of {total} passed").format(passed=passed, total=len(tests))
    table = Table(title=title, title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column(_("Test"), ratio=1)
    table.add_column(_("Message"), ratio=2)
    marks = {"passed": Text("✔", "green"), "failed": Text("✘", "red"), "skipped": Text("-", "dim")}
    for test in tests:
        mark = marks.get(str(test.get("status")), Text("·"))
        table.add_row(mark, Text(str(test.get("name", ""))), Text(str(test.get("message") or "")))
    return table


def findings_table(findings: list[JsonObject]) -> Table:
    table = Table(title=_("Findings"), title_justify="left")
    table.add_column(_("Severity"), no_wrap=True)
    table.add_column(_("Where"), no_wrap=True)
    table.add_column(_("Rule"), no_wrap=True)
    table.add_column(_("Message"), ratio=1)
    order = {"critical": 0, "major": 1, "minor": 2, "info": 3}
    for finding in sorted(findings, key=lambda f: (order.get(f.get("severity", ""), 4), f.get("start_line") or 0)):
        where = finding.get("file") or ""
        if finding.get("start_line"):
            where = f"{where}:{finding['start_line']}"
        message = Text(str(finding.get("message", "")))
        if finding.get("suggestion"):
            message.append(f"\n→ {finding['suggestion']}", style="dim")
        table.add_row(severity_text(str(finding.get("severity", ""))), where, str(finding.get("rule", "")), message)
    return table
