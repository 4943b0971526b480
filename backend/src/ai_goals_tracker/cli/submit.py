"""`aigt submit TASK_ID FILE` and `aigt review SNAPSHOT_ID`: send code, wait for its review, show it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markdown import Markdown
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
    severity_text,
    status_text,
    stderr,
    stdout,
)
from ai_goals_tracker.client import DEFAULT_SERVER, MAX_WAIT_SECONDS, ApiClient, ApiError
from ai_goals_tracker.criteria import render_raw
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


def wait_for_review(client: ApiClient, snapshot: SnapshotRead, timeout: float) -> SnapshotRead:
    """Poll the snapshot until its review is written or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while snapshot.review_status == "pending" and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        snapshot = client.get_snapshot(snapshot.id)
    return snapshot


@handles_api_errors
def submit(
    task_id: Annotated[str, typer.Argument(help="The task this code is for.")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The file to submit.")],
    language: Annotated[str | None, typer.Option(help="Override the language inferred from the extension.")] = None,
    timeout: Annotated[float, typer.Option(min=0, help="Seconds to wait for the review before giving up.")] = 120,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Submit a file as a code snapshot for a task, wait for its review, and show the verdict."""
    try:
        code = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(f"{file} is not UTF-8 text; only source files can be reviewed") from exc
    out = stdout()
    with open_client(server) as client:
        with _spinner(out, as_json, f"Reviewing {file.name}…"):
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
    snapshot_id: Annotated[str, typer.Argument(help="A snapshot id, as `aigt submit` prints it.")],
    timeout: Annotated[float, typer.Option(min=0, help="Seconds to wait if the review is still running.")] = 0,
    retry: Annotated[
        bool, typer.Option("--retry", help="Review again a snapshot that could not be reviewed, and wait for it.")
    ] = False,
    server: ServerOption = DEFAULT_SERVER,
    as_json: JsonOption = False,
) -> None:
    """Show the review of a submitted snapshot (or, with --retry, review a not-reviewed one again)."""
    out = stdout()
    with open_client(server) as client:
        snapshot = client.retry_review(snapshot_id) if retry else client.get_snapshot(snapshot_id)
        wait = max(timeout, 120.0) if retry else timeout
        with _spinner(out, as_json or wait == 0, "Waiting for the review…"):
            snapshot = wait_for_review(client, snapshot, wait)
        _show_outcome(client, snapshot, out, as_json)


class _NoSpinner:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        return None


def _spinner(out: Console, quiet: bool, message: str) -> Any:
    return _NoSpinner() if quiet else out.status(message, spinner="dots")


def _show_outcome(client: ApiClient, snapshot: SnapshotRead, out: Console, as_json: bool) -> None:
    task = client.tasks.get(snapshot.task_id) if snapshot.task_id else None
    goal = client.goals.get(task.goal_id) if task else None
    if as_json:
        print_json({"snapshot": snapshot, "task": task, "goal": goal})
    else:
        render_review(out, snapshot, task, goal)
    if snapshot.review_status == "pending":
        stderr().print(f"The review of {snapshot.id} is still running; see it later with `aigt review {snapshot.id}`.")
        raise typer.Exit(EXIT_REVIEW_PENDING)
    if snapshot.review_status == "not_reviewed":
        stderr().print(f"Submit again, or ask for a new review with `aigt review {snapshot.id} --retry`.")
        raise typer.Exit(EXIT_NOT_REVIEWED)
    if not snapshot.validation_passed:
        raise typer.Exit(EXIT_REVIEW_FAILED)


def render_review(out: Console, snapshot: SnapshotRead, task: TaskRead | None, goal: GoalRead | None) -> None:
    out.print(f"Snapshot [bold]{snapshot.id}[/] of {escape(snapshot.file_path)} ({snapshot.language or '?'})")
    if snapshot.review_status == "pending":
        out.print("[yellow]⧗ Review pending[/]")
        return
    if snapshot.review_status == "not_reviewed":
        out.print(Text("⊘ NOT REVIEWED", style="bold yellow"), Text(f" {snapshot.review_reason or ''}"))
        if snapshot.issues_found:
            out.print(findings_table(snapshot.issues_found))
        if task:
            out.print(Text.assemble(f"Task {task.id} ({task.title}) is still ", status_text(task.status)))
        return
    score = snapshot.validation_score or 0.0
    verdict = Text("✔ PASSED", style="bold green") if snapshot.validation_passed else Text("✘ NOT PASSED", "bold red")
    out.print(verdict, Text(f" score {score * 100:.0f}%", style="bold"))

    result = (task.validation_result if task else None) or {}
    criteria = result.get("criteria") or snapshot.metadata.get("review", {}).get("criteria") or []
    if criteria:
        out.print(criteria_table(criteria))
    for item in criteria:
        if item.get("tests"):
            out.print(tests_table(item))
    coverage = snapshot.metadata.get("test_coverage")
    if coverage is not None:
        out.print(Text(f"Coverage of {snapshot.file_path} by the goal's tests: {coverage * 100:.0f}%", style="bold"))

    if snapshot.issues_found:
        out.print(findings_table(snapshot.issues_found))
    else:
        out.print("No findings.")

    if snapshot.validation_feedback:
        out.print(Text("Feedback", style="bold underline"))
        out.print(Markdown(snapshot.validation_feedback))

    if task:
        out.print(Text.assemble(f"Task {task.id} ({task.title}) is now ", status_text(task.status)))
    if goal:
        out.print(Text.assemble(f"Goal {goal.title}: ", progress_cell(goal.progress_percentage)))


# Criteria results, test runs and findings are free-form JSON in the schemas (`dict[str, Any]`).
JsonObject = dict[str, Any]


def criteria_table(criteria: list[JsonObject]) -> Table:
    table = Table(title="Criteria", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("Criterion", ratio=1)
    table.add_column("Evidence", ratio=1)
    marks = {"met": Text("✔", "green"), "not_met": Text("✘", "red"), "needs_human": Text("?", "yellow")}
    for item in criteria:
        # Text, not str: a regex criterion such as `Annotated\[` must not be read as Rich markup.
        criterion = Text(str(item.get("label") or render_raw(item.get("criterion"))))
        evidence = Text(str(item.get("evidence") or ""))
        table.add_row(marks.get(str(item.get("status")), Text("·")), criterion, evidence)
    return table


def tests_table(item: JsonObject) -> Table:
    """Each test of a `tests` criterion: passed or failed, with the assertion's message as written."""
    tests: list[JsonObject] = item.get("tests") or []
    passed = sum(test.get("status") == "passed" for test in tests)
    table = Table(title=f"Tests: {passed} of {len(tests)} passed", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("Test", ratio=1)
    table.add_column("Message", ratio=2)
    marks = {"passed": Text("✔", "green"), "failed": Text("✘", "red"), "skipped": Text("-", "dim")}
    for test in tests:
        mark = marks.get(str(test.get("status")), Text("·"))
        table.add_row(mark, Text(str(test.get("name", ""))), Text(str(test.get("message") or "")))
    return table


def findings_table(findings: list[JsonObject]) -> Table:
    table = Table(title="Findings", title_justify="left")
    table.add_column("Severity", no_wrap=True)
    table.add_column("Where", no_wrap=True)
    table.add_column("Rule", no_wrap=True)
    table.add_column("Message", ratio=1)
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
