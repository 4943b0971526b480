"""Submitting code: the pending snapshot, the task's move to review, limits, ownership and history."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from ai_goals_tracker.db.engine import create_engine, create_sessionmaker
from ai_goals_tracker.snapshots import service
from tests.helpers import API, events_of, register_and_login
from tests.review.corpus import sample_code
from tests.snapshots.helpers import submit, task_with_criteria

LOGIN = sample_code("correct_login.py")


async def test_a_submission_is_accepted_pending_and_moves_the_task_to_review(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    user = await register_and_login(client, "submitter")
    goal_id, (task_id,) = await task_with_criteria(client, user)

    response = await submit(
        client, user, task_id, LOGIN, metadata={"editor": "vscode"}, headers={"X-Client": "vscode_extension"}
    )

    assert response.status_code == 202, response.text
    snapshot = response.json()
    assert snapshot["validation_passed"] is None
    assert snapshot["review_status"] == "pending"
    assert snapshot["language"] == "python"
    assert snapshot["task_id"] == task_id
    assert snapshot["metadata"] == {"editor": "vscode", "lines_of_code": 15, "total_lines": 22, "size_bytes": 679}
    assert response.headers["location"] == f"{API}/snapshots/{snapshot['id']}"
    task = (await client.get(f"{API}/tasks/{task_id}", headers=user.headers)).json()
    assert task["status"] == "in_review"
    assert task["started_at"] is not None
    goal = (await client.get(f"{API}/goals/{goal_id}", headers=user.headers)).json()
    assert goal["status"] == "in_progress"

    events = await events_of(app, user.id)
    submission = [(e.event_type.value, e.entity_id) for e in events if e.meta["source"] == "vscode_extension"]
    assert submission == [
        ("code.submitted", snapshot["id"]),
        ("task.started", task_id),
        ("task.updated", task_id),
        ("goal.started", goal_id),
    ]
    submitted = next(e for e in events if e.event_type.value == "code.submitted")
    assert submitted.payload["code_content"] == LOGIN


async def test_the_language_given_wins_over_the_extension(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "polyglot")
    _, (task_id,) = await task_with_criteria(client, user)
    response = await submit(client, user, task_id, "const x = 1;\n", file_path="notes.txt", language="JavaScript")
    assert response.status_code == 202, response.text
    assert response.json()["language"] == "javascript"
    unknown = await submit(client, user, task_id, "SELECT 1;\n", file_path="query.sql")
    assert unknown.json()["language"] == "sql"


async def test_a_failed_task_goes_back_to_review_and_a_task_in_review_takes_a_new_attempt(
    client: httpx.AsyncClient,
) -> None:
    user = await register_and_login(client, "retrier")
    _, (task_id,) = await task_with_criteria(client, user)
    for status in ("in_progress", "in_review", "failed"):
        assert (await client.patch(f"{API}/tasks/{task_id}", json={"status": status}, headers=user.headers)).is_success
    assert (await submit(client, user, task_id, LOGIN)).status_code == 202
    assert (await client.get(f"{API}/tasks/{task_id}", headers=user.headers)).json()["status"] == "in_review"
    assert (await submit(client, user, task_id, LOGIN)).status_code == 202
    history = (await client.get(f"{API}/tasks/{task_id}/snapshots", headers=user.headers)).json()
    assert history["total"] == 2


async def test_a_completed_or_skipped_task_takes_no_submission(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "finisher")
    _, (done, skipped) = await task_with_criteria(client, user, tasks=2, task_types=("testing",))
    for status in ("in_progress", "in_review", "completed"):
        await client.patch(f"{API}/tasks/{done}", json={"status": status}, headers=user.headers)
    await client.patch(f"{API}/tasks/{skipped}", json={"status": "skipped"}, headers=user.headers)

    response = await submit(client, user, done, LOGIN)
    assert response.status_code == 409
    assert "already completed" in response.json()["detail"]
    response = await submit(client, user, skipped, LOGIN)
    assert response.status_code == 409
    assert "reopen" in response.json()["detail"]
    history = (await client.get(f"{API}/tasks/{done}/snapshots", headers=user.headers)).json()
    assert history["total"] == 0


async def test_code_over_256_kb_is_refused_with_413(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "bulky")
    _, (task_id,) = await task_with_criteria(client, user)
    exactly = "x" * (256 * 1024)
    assert (await submit(client, user, task_id, exactly)).status_code == 202
    response = await submit(client, user, task_id, exactly + "y")
    assert response.status_code == 413
    assert "256 KB" in response.json()["detail"]
    # A body that cannot hold 256 KB of code however it is escaped is refused before it is parsed.
    response = await submit(client, user, task_id, "x" * (2 * 1024 * 1024))
    assert response.status_code == 413
    # 256 KB of multi-byte characters is counted in bytes, not characters.
    response = await submit(client, user, task_id, "ñ" * (200 * 1024))
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("body", "params", "field"),
    [
        ({"file_path": "a.py"}, None, "code_content"),
        ({"file_path": "a.py", "code_content": ""}, None, "code_content"),
        ({"file_path": "", "code_content": "x = 1"}, None, "file_path"),
        ({"file_path": "a.py", "code_content": "x = 1", "extra": 1}, None, "extra"),
        ({"file_path": "a.py", "code_content": "x = 1"}, {"wait": 31}, "wait"),
        ({"file_path": "a.py", "code_content": "x = 1"}, {"wait": -1}, "wait"),
    ],
)
async def test_invalid_submissions_answer_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, object], params: dict[str, object] | None, field: str
) -> None:
    user = await register_and_login(client, "careless")
    _, (task_id,) = await task_with_criteria(client, user)
    response = await client.post(f"{API}/tasks/{task_id}/snapshots", json=body, params=params, headers=user.headers)
    assert response.status_code == 422, response.text
    assert field in [str(part) for error in response.json()["detail"] for part in error["loc"]]


async def test_other_users_tasks_and_snapshots_answer_404(client: httpx.AsyncClient) -> None:
    owner = await register_and_login(client, "owner")
    intruder = await register_and_login(client, "intruder")
    _, (task_id,) = await task_with_criteria(client, owner)
    snapshot_id = (await submit(client, owner, task_id, LOGIN)).json()["id"]

    assert (await submit(client, intruder, task_id, LOGIN)).status_code == 404
    assert (await client.get(f"{API}/tasks/{task_id}/snapshots", headers=intruder.headers)).status_code == 404
    response = await client.get(f"{API}/snapshots/{snapshot_id}", headers=intruder.headers)
    assert response.status_code == 404
    assert response.json()["detail"] == "Snapshot not found"
    assert (await client.get(f"{API}/snapshots/cs_missing", headers=owner.headers)).status_code == 404
    assert (await client.get(f"{API}/snapshots/{snapshot_id}")).status_code == 401
    assert (await client.get(f"{API}/snapshots/{snapshot_id}", headers=owner.headers)).json()["id"] == snapshot_id


async def test_history_lists_attempts_newest_first_in_pages(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "persistent")
    _, (task_id, other_task) = await task_with_criteria(client, user, tasks=2)
    ids = [(await submit(client, user, task_id, f"x = {n}\n")).json()["id"] for n in range(3)]
    await submit(client, user, other_task, "y = 1\n")

    page = (await client.get(f"{API}/tasks/{task_id}/snapshots?limit=2", headers=user.headers)).json()
    assert [s["id"] for s in page["items"]] == [ids[2], ids[1]]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    page = (await client.get(f"{API}/tasks/{task_id}/snapshots?limit=2&offset=2", headers=user.headers)).json()
    assert [s["id"] for s in page["items"]] == [ids[0]]
    assert [s["code_content"] for s in page["items"]] == ["x = 0\n"]


async def test_a_database_that_stops_answering_during_the_wait_leaves_the_submission_pending(
    database_url: str,
) -> None:
    """With `?wait`, the submission is committed before the wait: a database that cannot serve
    meanwhile (here: no connection free) ends the wait with the snapshot still pending, never a 503
    for a submission that was kept."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=0.1)
    try:
        async with engine.connect():
            waited = await service.wait_for_verdict(create_sessionmaker(engine), "cs_anything", 5)
    finally:
        await engine.dispose()
    assert waited is None
