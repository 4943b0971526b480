"""A pass means every criterion was decided: criteria nobody could decide wait for a person, who
confirms or rejects each one; the verdict, the task's status, progress and events follow."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from ai_goals_tracker.config import Settings
from ai_goals_tracker.models import CodeSnapshot
from tests.helpers import API, ApiUser, events_of, register_and_login
from tests.review.corpus import sample_code
from tests.snapshots.helpers import run_reviews, submit, task_with_criteria

SUM = "the function returns the sum of two numbers"
WRONG_SUM = "def add(a: int, b: int) -> int:\n    return a * b\n"
RIGHT_SUM = "def add(a: int, b: int) -> int:\n    return a + b\n"


async def snapshot_of(client: httpx.AsyncClient, user: ApiUser, snapshot_id: str) -> dict[str, Any]:
    response = await client.get(f"{API}/snapshots/{snapshot_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def resource(client: httpx.AsyncClient, user: ApiUser, path: str) -> dict[str, Any]:
    response = await client.get(f"{API}/{path}", headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def judge(client: httpx.AsyncClient, user: ApiUser, snapshot_id: str, index: int, body: Any) -> httpx.Response:
    return await client.post(
        f"{API}/snapshots/{snapshot_id}/criteria/{index}/judgement", json=body, headers=user.headers
    )


async def awaiting_review(
    client: httpx.AsyncClient, settings: Settings, database_url: str, username: str, criteria: list[Any], code: str
) -> tuple[ApiUser, str, str, str]:
    """A learner whose submission's review waits for a judgement: the user, goal, task and snapshot ids."""
    user = await register_and_login(client, username)
    goal_id, (task_id,) = await task_with_criteria(client, user, criteria=criteria)
    snapshot_id = (await submit(client, user, task_id, code, file_path="add.py")).json()["id"]
    await run_reviews(settings, database_url)
    return user, goal_id, task_id, snapshot_id


async def test_a_sentence_nobody_judged_does_not_pass_wrong_code(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, database_url: str
) -> None:
    user, goal_id, task_id, snapshot_id = await awaiting_review(
        client, settings, database_url, "multiplier", [SUM], WRONG_SUM
    )

    snapshot = await snapshot_of(client, user, snapshot_id)
    assert snapshot["review_status"] == "awaiting_judgement"
    assert (snapshot["validation_passed"], snapshot["validation_score"]) == (None, None)
    assert snapshot["awaiting_criteria"] == [
        {"index": 0, "label": SUM, "reason": snapshot["metadata"]["review"]["criteria"][0]["evidence"]}
    ]
    assert "no check can decide it" in snapshot["awaiting_criteria"][0]["reason"]
    assert "1 criterion/criteria wait for you" in snapshot["review_reason"]
    assert SUM in snapshot["review_reason"]
    criterion = snapshot["metadata"]["review"]["criteria"][0]
    assert (criterion["status"], criterion["judged_by"], criterion["judged_at"]) == ("needs_human", None, None)

    task = await resource(client, user, f"tasks/{task_id}")
    assert task["status"] == "in_review"
    assert task["completed_at"] is None
    assert task["validation_result"]["status"] == "awaiting_judgement"
    assert task["validation_result"]["passed"] is None
    goal = await resource(client, user, f"goals/{goal_id}")
    assert goal["progress_percentage"] == 0.0
    assert goal["status"] != "completed"

    review_events = [e.event_type.value for e in await events_of(app, user.id) if e.meta["source"] == "worker"]
    assert review_events == ["code.validated", "ai.validation_completed", "ai.feedback_generated", "task.updated"]


async def test_the_learner_rejects_the_criterion_and_the_task_fails(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, database_url: str
) -> None:
    user, goal_id, task_id, snapshot_id = await awaiting_review(
        client, settings, database_url, "rejecter", [SUM], WRONG_SUM
    )

    response = await judge(client, user, snapshot_id, 0, {"met": False, "note": "a * b is a product"})

    assert response.status_code == 200, response.text
    snapshot = response.json()
    assert (snapshot["review_status"], snapshot["validation_passed"]) == ("failed", False)
    assert snapshot["awaiting_criteria"] == []
    criterion = snapshot["metadata"]["review"]["criteria"][0]
    assert criterion["status"] == "not_met"
    assert (criterion["judged_by"], criterion["judge_id"]) == ("learner", user.id)
    assert criterion["note"] == "a * b is a product"
    assert criterion["evidence"] == "Rejected by the learner who submitted the code."
    assert snapshot["validation_feedback"].endswith(
        f"### Judged by a person\n- ❌ {SUM} — Rejected by the learner who submitted the code. Note: a * b is a product"
    )
    assert criterion["judged_at"] is not None
    task = await resource(client, user, f"tasks/{task_id}")
    assert task["status"] == "failed"
    assert task["validation_result"]["criteria"][0]["judged_by"] == "learner"
    assert (await resource(client, user, f"goals/{goal_id}"))["progress_percentage"] == 0.0

    events = [e for e in await events_of(app, user.id) if e.meta["source"] != "worker"]
    judged = [e for e in events if e.event_type.value == "code.reviewed"]
    assert len(judged) == 1
    assert judged[0].payload["judgement"] == {
        "index": 0,
        "criterion": SUM,
        "met": False,
        "note": "a * b is a product",
        "judged_by": "learner",
        "judge_id": user.id,
        "judged_at": criterion["judged_at"],
        "awaiting": 0,
    }
    assert judged[0].payload["validation_passed"] is False
    tail = [e.event_type.value for e in events][-3:]
    assert tail == ["code.reviewed", "code.validated", "task.failed"]


async def test_confirming_every_waiting_criterion_completes_the_task_and_rolls_up(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, database_url: str
) -> None:
    criteria = [SUM, "add is named for what it does", {"check": "defines", "name": "add"}]
    user, goal_id, task_id, snapshot_id = await awaiting_review(
        client, settings, database_url, "confirmer", criteria, RIGHT_SUM
    )
    waiting = (await snapshot_of(client, user, snapshot_id))["awaiting_criteria"]
    assert [item["index"] for item in waiting] == [0, 1]

    first = await judge(client, user, snapshot_id, 1, {"met": True})

    assert first.status_code == 200, first.text
    assert first.json()["review_status"] == "awaiting_judgement"
    assert [item["index"] for item in first.json()["awaiting_criteria"]] == [0]
    task = await resource(client, user, f"tasks/{task_id}")
    assert task["status"] == "in_review"
    assert task["validation_result"]["criteria"][1]["judged_by"] == "learner"

    second = await judge(client, user, snapshot_id, 0, {"met": True, "note": "checked by hand"})

    assert second.status_code == 200, second.text
    snapshot = second.json()
    assert (snapshot["review_status"], snapshot["validation_passed"]) == ("passed", True)
    assert snapshot["validation_score"] >= 0.7
    assert [c["judged_by"] for c in snapshot["metadata"]["review"]["criteria"]] == ["learner", "learner", "check"]
    assert "2 criterion/criteria judged by a person" in snapshot["metadata"]["review"]["summary"]
    assert snapshot["validation_feedback"].count("### Judged by a person") == 1
    assert "- ✅ add is named for what it does — Confirmed by the learner" in snapshot["validation_feedback"]
    task = await resource(client, user, f"tasks/{task_id}")
    assert (task["status"], task["validation_result"]["passed"]) == ("completed", True)
    goal = await resource(client, user, f"goals/{goal_id}")
    assert (goal["status"], goal["progress_percentage"]) == ("completed", 100.0)

    events = [e.event_type.value for e in await events_of(app, user.id) if e.meta["source"] != "worker"]
    assert events[-7:] == [
        "code.reviewed",
        "task.updated",
        "code.reviewed",
        "code.validated",
        "task.validated",
        "task.completed",
        "goal.completed",
    ]


async def test_judging_refuses_others_decided_criteria_and_bad_input(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user, _, _, snapshot_id = await awaiting_review(client, settings, database_url, "owner1", [SUM], WRONG_SUM)
    stranger = await register_and_login(client, "stranger1")

    assert (await judge(client, stranger, snapshot_id, 0, {"met": True})).status_code == 404
    assert (await judge(client, user, "cs_missing", 0, {"met": True})).status_code == 404
    assert (await judge(client, user, snapshot_id, 3, {"met": True})).status_code == 404
    for body in ({"met": "perhaps"}, {}, {"met": True, "extra": 1}, {"met": True, "note": "x" * 2001}):
        response = await judge(client, user, snapshot_id, 0, body)
        assert response.status_code == 422, (body, response.text)
    assert (await judge(client, user, snapshot_id, -1, {"met": True})).status_code == 422
    assert (await snapshot_of(client, user, snapshot_id))["review_status"] == "awaiting_judgement"
    # Nothing failed in the review: reviewing again would decide nothing more.
    retried = await client.post(f"{API}/snapshots/{snapshot_id}/review", headers=user.headers)
    assert (retried.status_code, retried.json()["review_status"]) == (409, "awaiting_judgement")

    assert (await judge(client, user, snapshot_id, 0, {"met": True})).status_code == 200
    again = await judge(client, user, snapshot_id, 0, {"met": False})
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "not_awaiting_judgement"
    assert (await snapshot_of(client, user, snapshot_id))["review_status"] == "passed"


async def test_what_fails_the_code_fails_it_without_waiting(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    criteria = [SUM, {"check": "defines", "name": "subtract"}]
    user, _, task_id, snapshot_id = await awaiting_review(client, settings, database_url, "unmet", criteria, WRONG_SUM)

    snapshot = await snapshot_of(client, user, snapshot_id)
    assert (snapshot["review_status"], snapshot["validation_passed"]) == ("failed", False)
    assert snapshot["awaiting_criteria"] == []
    assert (await resource(client, user, f"tasks/{task_id}"))["status"] == "failed"
    refused = await judge(client, user, snapshot_id, 0, {"met": True})
    assert refused.status_code == 409
    assert refused.json()["review_status"] == "failed"


async def test_a_review_with_only_checks_still_passes_at_once(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "checked")
    _, (task_id,) = await task_with_criteria(client, user)
    snapshot_id = (await submit(client, user, task_id, sample_code("correct_login.py"))).json()["id"]
    await run_reviews(settings, database_url)

    snapshot = await snapshot_of(client, user, snapshot_id)
    assert snapshot["review_status"] == "passed"
    criteria = snapshot["metadata"]["review"]["criteria"]
    assert {c["judged_by"] for c in criteria} == {"check"}
    validated_at = datetime.fromisoformat(snapshot["metadata"]["review"]["validated_at"])
    assert all(datetime.fromisoformat(c["judged_at"]) == validated_at for c in criteria)
    assert (await judge(client, user, snapshot_id, 0, {"met": False})).status_code == 409


async def test_the_waiting_criteria_are_explained_in_spanish(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "juana")
    response = await client.patch(
        f"{API}/users/me", json={"metadata": {"preferences": {"language": "es"}}}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    _, (task_id,) = await task_with_criteria(client, user, criteria=["la función devuelve la suma"])
    snapshot_id = (await submit(client, user, task_id, WRONG_SUM, file_path="suma.py")).json()["id"]
    await run_reviews(settings, database_url)

    snapshot = await snapshot_of(client, user, snapshot_id)
    assert snapshot["review_status"] == "awaiting_judgement"
    assert "Aún sin veredicto" in snapshot["review_reason"]
    assert "ninguna comprobación puede decidirlo" in snapshot["awaiting_criteria"][0]["reason"]
    assert "esperan el juicio de una persona" in snapshot["metadata"]["review"]["summary"]


async def test_the_goals_owner_judges_as_owner_when_someone_else_submitted_the_code(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, database_url: str
) -> None:
    owner, _, task_id, snapshot_id = await awaiting_review(client, settings, database_url, "author", [SUM], RIGHT_SUM)
    learner = await register_and_login(client, "submitter")
    # Goals and their tasks belong to one user today; a snapshot handed to another learner stands
    # for a goal whose author is not the person who submitted the code.
    async with app.state.sessionmaker() as session:
        await session.execute(update(CodeSnapshot).where(CodeSnapshot.id == snapshot_id).values(user_id=learner.id))
        await session.commit()
    stranger = await register_and_login(client, "onlooker")
    assert (await judge(client, stranger, snapshot_id, 0, {"met": True})).status_code == 404

    response = await judge(client, owner, snapshot_id, 0, {"met": True})

    assert response.status_code == 200, response.text
    criterion = response.json()["metadata"]["review"]["criteria"][0]
    assert (criterion["judged_by"], criterion["judge_id"]) == ("owner", owner.id)
    assert criterion["evidence"] == "Confirmed by the goal's owner."
    assert response.json()["review_status"] == "passed"
    assert (await resource(client, owner, f"tasks/{task_id}"))["status"] == "completed"


async def test_two_criteria_judged_at_once_reach_one_verdict(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, database_url: str
) -> None:
    criteria = [SUM, "add is named for what it does"]
    user, _, task_id, snapshot_id = await awaiting_review(client, settings, database_url, "twice", criteria, RIGHT_SUM)

    first, second = await asyncio.gather(
        judge(client, user, snapshot_id, 0, {"met": True}), judge(client, user, snapshot_id, 1, {"met": True})
    )

    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    snapshot = await snapshot_of(client, user, snapshot_id)
    assert snapshot["review_status"] == "passed"
    assert [c["judged_by"] for c in snapshot["metadata"]["review"]["criteria"]] == ["learner", "learner"]
    assert (await resource(client, user, f"tasks/{task_id}"))["status"] == "completed"
    events = [e.event_type.value for e in await events_of(app, user.id) if e.meta["source"] != "worker"]
    assert (events.count("code.reviewed"), events.count("code.validated"), events.count("task.completed")) == (2, 1, 1)
