"""Feedback memory: a mistake seen in earlier snapshots is named, counted, and paired with a goal."""

from __future__ import annotations

from typing import Literal

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.config import Settings
from ai_goals_tracker.jobs import job_runtime
from ai_goals_tracker.models import CodeSnapshot, User
from ai_goals_tracker.review.models import Category, Finding, FindingType, Severity
from ai_goals_tracker.review.rule_catalog import render, rule_text
from ai_goals_tracker.search.catalog import load_catalog
from ai_goals_tracker.search.memory import ordinal, recurring_mistakes
from ai_goals_tracker.snapshots.jobs import review_snapshot_now
from tests.helpers import API, register_and_login


def sql_injection_message(locale: Literal["es", "en"]) -> str:
    entry = rule_text("sec-608")
    assert entry is not None
    return render(entry, locale, ())[0]


INJECTABLE = """import sqlite3


def find_user(conn: sqlite3.Connection, name: str) -> list[tuple[str]]:
    query = f"SELECT name FROM users WHERE name = '{name}'"
    return conn.execute(query).fetchall()
"""

SQL_GOAL = next(goal for goal in load_catalog() if goal.key == "sec-sql-injection")


def sql_finding(locale: str = "en", rule: str = "sql-injection") -> Finding:
    return Finding(
        type=FindingType.ESSENTIAL,
        severity=Severity.CRITICAL,
        category=Category.SECURITY,
        rule=rule,
        message=sql_injection_message("es" if locale == "es" else "en"),
        file="app.py",
        analyzer="ruff",
    )


async def _user_with_history(session: AsyncSession, issues: list[list[dict[str, object]]]) -> str:
    user = User(email="m@example.com", username="memory", hashed_password="x")
    session.add(user)
    await session.flush()
    session.add_all(
        CodeSnapshot(user_id=user.id, file_path="app.py", code_content="x = 1", validation_passed=False, issues_found=i)
        for i in issues
    )
    await session.commit()
    return user.id


async def test_the_third_sql_injection_in_a_row_is_named_with_a_goal(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "repeat")
    goal = await client.post(f"{API}/goals", json={"title": "Users"}, headers=user.headers)
    task = await client.post(
        f"{API}/tasks", json={"goal_id": goal.json()["id"], "title": "Lookup"}, headers=user.headers
    )
    feedback = []
    async with job_runtime(settings, database_url):
        for attempt in range(3):
            response = await client.post(
                f"{API}/tasks/{task.json()['id']}/snapshots",
                json={"file_path": f"users_{attempt}.py", "code_content": INJECTABLE},
                headers=user.headers,
            )
            assert response.status_code == 202, response.text
            await review_snapshot_now(response.json()["id"])
            snapshot = await client.get(f"{API}/snapshots/{response.json()['id']}", headers=user.headers)
            feedback.append(snapshot.json()["validation_feedback"])
    assert "Recurring mistake" not in feedback[0]
    assert "this is the second time" in feedback[1]
    assert "this is the third time" in feedback[2]
    assert SQL_GOAL.title.en in feedback[2]


async def test_a_reworded_finding_in_the_other_language_counts_and_the_note_is_spanish(
    session: AsyncSession,
) -> None:
    # An earlier finding from another analyzer (another rule), written in English.
    earlier = sql_finding("en", rule="llm-sql").model_dump(mode="json")
    user_id = await _user_with_history(session, [[earlier], [earlier], []])
    note = await recurring_mistakes(session, user_id, [sql_finding("es")], "es")
    assert note is not None
    assert note.startswith("Error recurrente: es la tercera vez")
    assert f"«{SQL_GOAL.title.es}»" in note


async def test_nothing_to_say_without_history_or_for_unrelated_findings(session: AsyncSession) -> None:
    style = Finding(
        type=FindingType.ACTIONABLE,
        severity=Severity.MINOR,
        category=Category.STYLE,
        rule="unused-import",
        message="`os` is imported but never used.",
        file="app.py",
        analyzer="ruff",
    )
    user_id = await _user_with_history(session, [[style.model_dump(mode="json")]])
    assert await recurring_mistakes(session, user_id, [sql_finding()], "en") is None
    celebratory = style.model_copy(update={"type": FindingType.CELEBRATORY})
    assert await recurring_mistakes(session, user_id, [celebratory], "en") is None
    assert await recurring_mistakes(session, "usr_nobody", [sql_finding()], "en") is None


@pytest.mark.parametrize(
    ("times", "en", "es"), [(2, "second", "segunda"), (3, "third", "tercera"), (12, "12th", "12.ª")]
)
def test_ordinals(times: int, en: str, es: str) -> None:
    assert (ordinal(times, "en"), ordinal(times, "es")) == (en, es)
