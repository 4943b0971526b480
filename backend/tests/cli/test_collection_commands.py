"""The courses, goals and tasks commands, built by one factory: each keeps its own options, and
what can be refused without the server is refused before any request (the server given here
does not answer: reaching it would exit 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from ai_goals_tracker.cli.main import app

NOWHERE = "http://127.0.0.1:9"


def aigt(*args: str) -> Result:
    env = {"AIGT_SERVER": NOWHERE, "COLUMNS": "200", "NO_COLOR": "1"}
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.mark.parametrize(("group", "entity_id"), [("courses", "crs_1"), ("goals", "gol_1"), ("tasks", "tsk_1")])
def test_an_update_without_changes_is_refused_before_asking_the_server(group: str, entity_id: str) -> None:
    result = aigt(group, "update", entity_id)

    assert result.exit_code == 2
    assert "give at least one option to change (see --help)" in result.output


def test_a_test_module_of_an_unknown_kind_is_refused_before_asking_the_server(tmp_path: Path) -> None:
    module = tmp_path / "tests.txt"
    module.write_text("x")

    result = aigt("goals", "create", "Sum a basket", "--tests", str(module))

    assert result.exit_code == 1
    assert "a test module is a .py file (pytest) or a .js file (node:test)" in result.stderr


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (["courses", "list"], ["--status", "--limit", "--offset", "--server", "--json"]),
        (["goals", "list"], ["--course", "--status", "--priority", "--limit"]),
        (["tasks", "list"], ["--goal", "--status", "--type", "--limit"]),
        (["courses", "create"], ["title", "--description", "--status"]),
        (["goals", "create"], ["title", "--course", "--priority", "--criterion", "-c", "--due", "--tests"]),
        (["tasks", "create"], ["goal_id", "title", "--type", "--priority", "--estimate"]),
        (["goals", "update"], ["goal_id", "--title", "--status", "--course", "--due"]),
        (["tasks", "update"], ["task_id", "--title", "--type", "--status", "--estimate", "--actual"]),
        (["courses", "show"], ["course_id", "--json"]),
        (["tasks", "delete"], ["task_id", "--yes", "-y", "--json"]),
    ],
)
def test_each_collection_offers_its_own_options(command: list[str], shown: list[str]) -> None:
    result = aigt(*command, "--help")

    assert result.exit_code == 0, result.output
    missing = [option for option in shown if option not in result.stdout]
    assert not missing, result.stdout


def test_a_collection_refuses_another_ones_options() -> None:
    result = aigt("courses", "list", "--priority", "high")

    assert result.exit_code == 2
    assert "No such option: --priority" in result.output
