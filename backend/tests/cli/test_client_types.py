"""The client's answers are the API's read schemas: a field the server renames fails the type check
of the code that reads it, instead of a learner's command at run time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mypy import api as mypy_api

import ai_goals_tracker

pytestmark = pytest.mark.slow

# Each line reads a field the API does not have (what a rename on the server leaves behind); the
# last statement reads the fields the commands show, as the API spells them.
READER = """\
from ai_goals_tracker.client import ApiClient


def read(client: ApiClient) -> object:
    client.courses.create({}).state
    client.goals.list(course_id="c").items[0].progress
    client.tasks.get("t").titel
    client.me().user_name
    client.get_snapshot("s").passed
    client.search("q").items[0].kind
    client.suggest_goals("c").goals[0].criteria
    client.accept_goals("c", []).goals[0].tasks[0].state
    client.my_stats().streak.current
    client.list_events().items[0].type
    return (
        client.courses.get("c").progress_percentage,
        client.goals.get("g").due_date,
        client.tasks.update("t", {}).validation_result,
        client.me().username,
        client.submit_snapshot("t", file_path="a.py", code_content="x").review_status,
        client.search("q").items[0].score,
        client.suggest_goals("c").goals[0].tasks[0].estimated_hours,
        client.my_stats().streak.longest_days,
        client.list_events().total,
    )
"""

EXPECTED = {
    (5, "CourseRead", "state"),
    (6, "GoalRead", "progress"),
    (7, "TaskRead", "titel"),
    (8, "UserRead", "user_name"),
    (9, "SnapshotRead", "passed"),
    (10, "SearchHit", "kind"),
    (11, "SuggestedGoal", "criteria"),
    (12, "TaskRead", "state"),
    (13, "Streak", "current"),
    (14, "EventRead", "type"),
}


def test_a_field_missing_from_the_api_fails_the_type_check(tmp_path: Path) -> None:
    source = Path(ai_goals_tracker.__file__).parent.parent
    reader = tmp_path / "reader.py"
    reader.write_text(READER)
    config = tmp_path / "mypy.ini"
    config.write_text(
        "[mypy]\nstrict = True\nplugins = pydantic.mypy\nfollow_imports = silent\nignore_missing_imports = True\n"
        f"mypy_path = {source}\ncache_dir = {tmp_path / 'cache'}\n"
    )

    report, errors, _status = mypy_api.run(["--config-file", str(config), str(reader)])

    assert not errors, errors
    found = {
        (int(line), schema, field)
        for line, schema, field in re.findall(r'reader\.py:(\d+): error: "(\w+)" has no attribute "(\w+)"', report)
    }
    assert found == EXPECTED, report
    assert report.count("error:") == len(EXPECTED), report
