"""The learner's `aigt` commands against a real `aigt serve` (the `live_server` fixture), over HTTP only."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from ai_goals_tracker.cli.main import app
from tests.helpers import PASSWORD

pytestmark = pytest.mark.slow


class Aigt(Protocol):
    config: Path

    def __call__(self, *args: str, input: str | None = None) -> Result: ...


class _Runner:
    def __init__(self, server: str, config: Path) -> None:
        self.config = config
        self.env = {"AIGT_SERVER": server, "AIGT_CONFIG_DIR": str(config), "COLUMNS": "200", "NO_COLOR": "1"}

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), input=input, env=self.env, catch_exceptions=False)


@pytest.fixture
def aigt(live_server: str, tmp_path: Path, clean_live_db: None) -> Aigt:
    return _Runner(live_server, tmp_path / "config")


def logged_in(aigt: Aigt, username: str = "ana") -> None:
    registered = aigt("register", "--username", username, "--email", f"{username}@example.com", "--password-stdin",
                      input=PASSWORD + "\n")  # fmt: skip
    assert registered.exit_code == 0, registered.output
    result = aigt("login", "--username", username, "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output


def created(aigt: Aigt, *args: str) -> dict[str, Any]:
    result = aigt(*args, "--json")
    assert result.exit_code == 0, result.output
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def test_login_keeps_tokens_private_and_whoami_logout_follow(aigt: Aigt, live_server: str) -> None:
    registered = aigt("register", "--username", "ana", "--email", "ana@example.com", "--password-stdin",
                      input=PASSWORD + "\n")  # fmt: skip
    assert registered.exit_code == 0, registered.output
    assert "Registered ana <ana@example.com>" in registered.stdout

    login = aigt("login", "--username", "ana", "--password-stdin", input=PASSWORD + "\n")

    assert login.exit_code == 0, login.output
    assert login.stdout.strip() == f"Logged in to {live_server} as ana."
    credentials = aigt.config / "credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert PASSWORD not in credentials.read_text()
    assert aigt("whoami").stdout.strip() == f"ana <ana@example.com> on {live_server}"

    logout = aigt("logout")
    assert logout.stdout.strip() == f"Logged out of {live_server}."
    after = aigt("whoami")
    assert after.exit_code == 4
    assert "run `aigt login`" in after.stderr


def test_login_prompts_for_username_and_password(aigt: Aigt) -> None:
    aigt("register", "--username", "ana", "--email", "ana@example.com", "--password-stdin", input=PASSWORD + "\n")

    result = aigt("login", input=f"ana\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "Username or email:" in result.stdout
    assert PASSWORD not in result.stdout
    assert "as ana." in result.stdout


def test_wrong_password_is_refused_with_exit_code_4(aigt: Aigt) -> None:
    aigt("register", "--username", "ana", "--email", "ana@example.com", "--password-stdin", input=PASSWORD + "\n")

    result = aigt("login", "--username", "ana", "--password-stdin", input="not the password\n")

    assert result.exit_code == 4
    assert "error:" in result.stderr
    assert not (aigt.config / "credentials.json").exists()


def test_courses_goals_tasks_lifecycle_with_progress(aigt: Aigt) -> None:
    logged_in(aigt)
    course = created(aigt, "courses", "create", "FastAPI Master Course", "--description", "Build an API")
    goal = created(aigt, "goals", "create", "Secure login", "--course", course["id"], "--priority", "high",
                   "-c", "Passwords are hashed", "-c", "No SQL built from strings")  # fmt: skip
    assert goal["validation_criteria"] == {"criteria": ["Passwords are hashed", "No SQL built from strings"]}
    first = created(aigt, "tasks", "create", goal["id"], "Write the login handler", "--estimate", "2")
    second = created(aigt, "tasks", "create", goal["id"], "Document it", "--type", "documentation")
    third = created(aigt, "tasks", "create", goal["id"], "Add a rate limit")

    started = aigt("task", "start", first["id"])
    assert started.exit_code == 0, started.output
    assert f"Task {first['id']} (Write the login handler): todo → in_progress" in started.stdout

    completed = aigt("task", "complete", second["id"])
    assert f"Task {second['id']} (Document it): todo → completed" in completed.stdout
    assert "Goal Secure login: ▶ in_progress  ████░░░░░░░░  33%" in completed.stdout

    skipped = aigt("task", "skip", third["id"])
    assert "todo → skipped" in skipped.stdout
    assert "██████░░░░░░  50%" in skipped.stdout

    goals = aigt("goals", "list", "--course", course["id"])
    assert goals.exit_code == 0, goals.output
    row = next(line for line in goals.stdout.splitlines() if goal["id"] in line)
    assert "Secure login" in row
    assert "▶ in_progress" in row
    assert "high" in row
    assert "██████░░░░░░  50%" in row
    assert "1 goal" in goals.stdout

    shown = aigt("goals", "show", goal["id"])
    assert "• Passwords are hashed" in shown.stdout
    assert "✔ completed" in shown.stdout
    assert "↷ skipped" in shown.stdout

    courses = aigt("courses", "list")
    assert "FastAPI Master Course" in courses.stdout
    assert "██████░░░░░░  50%" in courses.stdout

    assert (
        json.loads(aigt("tasks", "list", "--goal", goal["id"], "--status", "completed", "--json").stdout)["total"] == 1
    )

    updated = aigt("courses", "update", course["id"], "--title", "FastAPI, the master course")
    assert "Updated course" in updated.stdout
    assert "FastAPI, the master course" in updated.stdout

    deleted = aigt("tasks", "delete", third["id"], "--yes")
    assert deleted.stdout.strip() == f"Deleted task {third['id']}."
    assert aigt("tasks", "show", third["id"]).exit_code == 5


def test_json_answers_are_the_apis_and_tables_show_their_fields(aigt: Aigt) -> None:
    logged_in(aigt)
    course = created(aigt, "courses", "create", "Databases")
    goal = created(aigt, "goals", "create", "Learn SQL", "--course", course["id"], "--due", "2030-03-01")
    joins = created(aigt, "tasks", "create", goal["id"], "Joins", "--estimate", "1.5", "--priority", "7")
    created(aigt, "tasks", "create", goal["id"], "Indexes")
    assert goal["due_date"].startswith("2030-03-01T00:00:00")
    assert (joins["estimated_hours"], joins["priority"], joins["status"]) == (1.5, 7, "todo")

    # A collection's JSON carries each item exactly as its own command answers it.
    course_json = created(aigt, "courses", "show", course["id"])
    assert [item["id"] for item in course_json["goals"]] == [goal["id"]]
    goal_json = created(aigt, "goals", "show", goal["id"])
    assert goal_json["tasks"][0] == joins
    assert created(aigt, "tasks", "show", joins["id"]) == joins

    started = created(aigt, "task", "start", joins["id"])
    assert started["status"] == "in_progress"
    assert started["goal"]["id"] == goal["id"]
    assert started["goal"]["status"] == "in_progress"

    row = next(line for line in aigt("goals", "list").stdout.splitlines() if goal["id"] in line)
    assert "2030-03-01" in row
    row = next(line for line in aigt("tasks", "list", "--goal", goal["id"]).stdout.splitlines() if joins["id"] in line)
    assert "▶ in_progress" in row
    assert " 1.5 " in row
    assert "1 of 2 tasks (use --offset/--limit for more)" in aigt("tasks", "list", "--limit", "1").stdout

    updated = aigt("tasks", "update", joins["id"], "--actual", "2")
    assert updated.stdout.strip() == f"Updated task {joins['id']}: Joins (in_progress)"
    assert created(aigt, "tasks", "update", joins["id"], "--title", "Outer joins")["actual_hours"] == 2
    assert created(aigt, "goals", "delete", goal["id"]) == {"deleted": goal["id"]}
    assert created(aigt, "tasks", "list")["total"] == 0


def test_delete_asks_for_confirmation(aigt: Aigt) -> None:
    logged_in(aigt)
    course = created(aigt, "courses", "create", "Keep me")

    declined = aigt("courses", "delete", course["id"], input="n\n")

    assert declined.exit_code == 1
    assert "Delete course 'Keep me'?" in declined.stdout
    assert aigt("courses", "show", course["id"]).exit_code == 0


def test_errors_have_distinct_exit_codes_and_say_what_to_do(aigt: Aigt) -> None:
    logged_in(aigt)
    goal = created(aigt, "goals", "create", "Learn pytest")
    task = created(aigt, "tasks", "create", goal["id"], "Write a fixture", "--type", "testing")
    aigt("task", "complete", task["id"])

    missing = aigt("goals", "show", "gol_nothing")
    assert missing.exit_code == 5
    assert "error: Goal not found" in missing.stderr

    invalid = aigt("tasks", "create", goal["id"], "Too keen", "--type", "juggling")
    assert invalid.exit_code == 6
    assert "the server refused the input" in invalid.stderr
    assert "task_type:" in invalid.stderr

    conflict = aigt("tasks", "update", task["id"], "--status", "in_progress")
    assert conflict.exit_code == 7
    assert "allowed from completed" in conflict.stderr

    code = created(aigt, "tasks", "create", goal["id"], "Write the handler")
    by_hand = aigt("task", "complete", code["id"])
    assert by_hand.exit_code == 7
    assert "A code task is completed by a passing review of its code" in by_hand.stderr
    assert json.loads(aigt("tasks", "show", code["id"], "--json").stdout)["status"] == "todo"

    unreachable = aigt("whoami", "--server", "http://127.0.0.1:9")
    assert unreachable.exit_code == 3
    assert "Cannot reach the server at http://127.0.0.1:9" in unreachable.stderr


def test_an_expired_access_token_is_refreshed_and_stored(aigt: Aigt, live_server: str) -> None:
    logged_in(aigt)
    credentials = aigt.config / "credentials.json"
    stored = json.loads(credentials.read_text())
    stored["servers"][live_server]["access_token"] = "expired"
    credentials.write_text(json.dumps(stored))

    result = aigt("whoami")

    assert result.exit_code == 0, result.output
    refreshed = json.loads(credentials.read_text())["servers"][live_server]
    assert refreshed["access_token"] != "expired"
    assert refreshed["refresh_token"] != stored["servers"][live_server]["refresh_token"]
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600


def test_recent_events_show_the_cli_as_their_source(aigt: Aigt) -> None:
    logged_in(aigt)
    goal = created(aigt, "goals", "create", "Learn SQL")
    created(aigt, "tasks", "create", goal["id"], "Joins")

    result = aigt("events", "recent", "--limit", "2")

    assert result.exit_code == 0, result.output
    assert "Latest 2 of" in result.stdout
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == 2
    assert "goal.created" in rows[0]
    assert "task.created" in rows[1]
    assert "Joins" in rows[1]
    assert all(line.rstrip(" │").endswith("cli") for line in rows)


def test_the_installed_entry_point_reads_the_password_from_stdin(live_server: str, tmp_path: Path, aigt: Aigt) -> None:
    aigt("register", "--username", "ana", "--email", "ana@example.com", "--password-stdin", input=PASSWORD + "\n")
    env = {**os.environ, "AIGT_SERVER": live_server, "AIGT_CONFIG_DIR": str(tmp_path / "other"), "COLUMNS": "200"}

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ai_goals_tracker.cli", *args], input=stdin,
                              capture_output=True, text=True, env=env, timeout=120)  # fmt: skip

    login = run("login", "--username", "ana", "--password-stdin", stdin=PASSWORD + "\n")
    assert login.returncode == 0, login.stderr
    assert "Logged in" in login.stdout
    assert run("courses", "list", "--json").returncode == 0
    assert run("courses", "show", "crs_missing").returncode == 5
    assert run("courses", "list", "--server", "http://127.0.0.1:9").returncode == 3


FLAWED = """import os


def total(prices: list[float]) -> float:
    return eval("+".join(str(price) for price in prices))
"""
FIXED = """def total(prices: list[float]) -> float:
    return sum(prices)
"""


def test_submit_shows_the_verdict_findings_and_feedback_then_progress(aigt: Aigt, tmp_path: Path) -> None:
    logged_in(aigt)
    goal = created(aigt, "goals", "create", "Sum a basket", "-c", "Defines total")
    task = created(aigt, "tasks", "create", goal["id"], "Write total()")
    aigt("task", "start", task["id"])
    source = tmp_path / "basket.py"
    source.write_text(FLAWED)

    failed = aigt("submit", task["id"], str(source))

    assert failed.exit_code == 9, failed.output
    out = failed.stdout
    assert "✘ NOT PASSED  score" in out
    eval_row = next(line for line in out.splitlines() if "basket.py:5" in line)
    assert "critical" in eval_row
    assert "eval" in eval_row
    assert "basket.py:1" in out
    assert "Feedback" in out
    assert f"Task {task['id']} (Write total()) is now ✘ failed" in out

    # Nothing fails the fixed code, but no check can decide the goal's sentence: it waits for the learner.
    source.write_text(FIXED)
    waiting = aigt("submit", task["id"], str(source))

    assert waiting.exit_code == 11, waiting.output
    assert "⧗ AWAITING YOUR JUDGEMENT" in waiting.stdout
    criterion_row = next(line for line in waiting.stdout.splitlines() if line.startswith("│ 0 "))
    assert "waiting for you" in criterion_row
    assert "is now ✔ completed" not in waiting.stdout
    snapshot_id = re.search(r"Snapshot (cs_\w+)", waiting.stdout)
    assert snapshot_id is not None
    assert f"aigt judge {snapshot_id.group(1)} 0 --met" in waiting.stderr
    task_shown = aigt("tasks", "show", task["id"])
    assert task_shown.exit_code == 0, task_shown.output
    assert f"Last review: awaiting your judgement (see `aigt review {snapshot_id.group(1)}`)" in task_shown.stdout

    passed = aigt("judge", snapshot_id.group(1), "0", "--met", "--note", "total() sums the prices")

    assert passed.exit_code == 0, passed.output
    assert "✔ PASSED  score" in passed.stdout
    criterion_row = next(line for line in passed.stdout.splitlines() if line.startswith("│ 0 "))
    assert "✔" in criterion_row and "you" in criterion_row
    assert "Confirmed by the learner who submitted the code." in criterion_row
    assert "Note: total() sums the prices" in passed.stdout
    assert "is now ✔ completed" in passed.stdout
    assert "Goal Sum a basket: ████████████ 100%" in passed.stdout
    assert aigt("judge", snapshot_id.group(1), "0", "--not-met").exit_code != 0

    again = aigt("submit", task["id"], str(source))
    assert again.exit_code == 7, "a completed task takes no more submissions"
    assert "error:" in again.stderr


def test_submit_json_and_review_command(aigt: Aigt, tmp_path: Path) -> None:
    logged_in(aigt)
    goal = created(aigt, "goals", "create", "Sum a basket")
    task = created(aigt, "tasks", "create", goal["id"], "Write total()")
    source = tmp_path / "basket.py"
    source.write_text(FIXED)

    result = aigt("submit", task["id"], str(source), "--json")

    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["snapshot"]["validation_passed"] is True
    assert body["task"]["status"] == "completed"
    shown = aigt("review", body["snapshot"]["id"])
    assert shown.exit_code == 0
    assert "✔ PASSED" in shown.stdout
    assert aigt("review", "cs_missing").exit_code == 5


def test_suggest_accepts_all_or_the_ones_picked(aigt: Aigt) -> None:
    logged_in(aigt)
    course = created(aigt, "courses", "create", "FastAPI Master Course", "--description", "Python, FastAPI, PostgreSQL")

    everything = aigt("suggest", course["id"], "--count", "2", "--accept", "all")

    assert everything.exit_code == 0, everything.output
    assert "2 suggested goals" in everything.stdout
    assert "1. " in everything.stdout
    # A goal's test module is summarised, not printed whole.
    assert "Passes the goal's pytest tests" in everything.stdout and "import " not in everything.stdout
    assert "Accepted 2 goals:" in everything.stdout

    picked = aigt("suggest", course["id"], "--count", "2", input="2\n")

    assert picked.exit_code == 0, picked.output
    assert "Accept which goals?" in picked.stdout
    assert "Accepted 1 goal:" in picked.stdout
    goals = json.loads(aigt("goals", "list", "--course", course["id"], "--json").stdout)
    assert goals["total"] == 3
    assert all(goal["ai_generated"] for goal in goals["items"])
    assert "(AI)" in aigt("goals", "list").stdout

    refused = aigt("suggest", course["id"], "--count", "2", "--accept", "7")
    assert refused.exit_code == 2
    assert "not a suggestion number between 1 and 2" in refused.output


def test_suggest_says_plainly_when_nothing_fits(aigt: Aigt) -> None:
    logged_in(aigt)
    course = created(aigt, "courses", "create", "Mediterranean Cooking", "--description", "Fresh pasta and paella")

    answer = aigt("suggest", course["id"])

    assert answer.exit_code == 0, answer.output
    assert "The offline catalog has no goals close enough to this course." in answer.stdout
    assert "configure an LLM" in answer.stdout and "aigt goals create" in answer.stdout
    assert "Accept which goals?" not in answer.stdout


def test_search_finds_your_things_by_meaning(aigt: Aigt) -> None:
    logged_in(aigt)
    goal = created(aigt, "goals", "create", "Write unit tests with pytest fixtures")
    created(aigt, "tasks", "create", goal["id"], "Parametrize the login tests")

    # Embeddings are written by background jobs: the worker takes a moment, many on a crowded machine.
    deadline = time.monotonic() + 300
    while True:
        found = aigt("search", "pruebas unitarias", "--json")
        assert found.exit_code == 0, found.output
        if json.loads(found.stdout)["items"] or time.monotonic() > deadline:
            break
        time.sleep(1)

    table = aigt("search", "pruebas unitarias", "--type", "goal")
    assert "Results for 'pruebas unitarias'" in table.stdout
    assert goal["id"] in table.stdout
    assert "Write unit tests" in table.stdout


def test_stats_draws_the_heatmap_and_streak(aigt: Aigt, live_server: str) -> None:
    if httpx.get(f"{live_server}/openapi.json", timeout=10).json()["paths"].get("/api/v1/stats/me") is None:
        pytest.skip("this server has no GET /api/v1/stats/me yet")
    logged_in(aigt)
    goal = created(aigt, "goals", "create", "Learn SQL")
    task = created(aigt, "tasks", "create", goal["id"], "Joins", "--estimate", "2")
    aigt("task", "complete", task["id"])

    result = aigt("stats", "--weeks", "4")

    assert result.exit_code == 0, result.output
    assert "Activity" in result.stdout
    assert "less · ░ ▒ ▓ █ more" in result.stdout
    assert "Streak: 1 day (longest 1)" in result.stdout
    assert "Learn SQL" in result.stdout


BASKET_TESTS = """import basket


def test_total_adds_prices():
    assert basket.total([1, 2]) == 3


def test_total_of_nothing_is_zero():
    assert basket.total([]) == 0, "an empty basket costs nothing"
"""

NONEMPTY_ONLY = """def total(prices: list[float]) -> float:
    if not prices:
        return -1
    return sum(prices)
"""


def test_a_goal_with_tests_shows_each_test_and_the_coverage(aigt: Aigt, tmp_path: Path) -> None:
    logged_in(aigt)
    tests = tmp_path / "test_basket.py"
    tests.write_text(BASKET_TESTS)
    goal = created(aigt, "goals", "create", "Sum a basket", "--tests", str(tests))
    assert goal["validation_criteria"] == {
        "criteria": [{"check": "tests", "framework": "pytest", "code": BASKET_TESTS}]
    }
    shown = aigt("goals", "show", goal["id"])
    assert "Passes the goal's pytest tests: test_total_adds_prices, test_total_of_nothing_is_zero" in shown.stdout
    task = created(aigt, "tasks", "create", goal["id"], "Write total()")
    source = tmp_path / "basket.py"
    source.write_text(NONEMPTY_ONLY)

    failed = aigt("submit", task["id"], str(source))

    assert failed.exit_code == 9, failed.output
    out = failed.stdout
    assert "Tests: 1 of 2 passed" in out
    assert next(line for line in out.splitlines() if "test_total_adds_prices" in line and "✔" in line)
    # The tests' table, after the criteria's: the failing test's row with its assertion message.
    failing = [line for line in out.splitlines() if "✘" in line and "test_total_of_nothing_is_zero" in line][-1]
    assert "an empty basket costs nothing" in failing
    # Between them the two tests run every line, the early return for an empty basket included.
    assert f"Coverage of {source.as_posix()} by the goal's tests: 100%" in out

    source.write_text(FIXED)
    passed = aigt("submit", task["id"], str(source))
    assert passed.exit_code == 0, passed.output
    assert "Tests: 2 of 2 passed" in passed.stdout

    wrong = tmp_path / "tests.txt"
    wrong.write_text("x")
    refused = aigt("goals", "create", "Other", "--tests", str(wrong))
    assert refused.exit_code == 1
    assert "a test module is a .py file (pytest) or a .js file (node:test)" in refused.stderr
