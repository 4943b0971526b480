"""The review job on its own: idempotence, crashes, LLM fallbacks, and the learner's language."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ai_goals_tracker.config import Settings
from ai_goals_tracker.i18n import user_locale
from ai_goals_tracker.jobs import job_runtime
from ai_goals_tracker.models import Event, User
from ai_goals_tracker.snapshots import jobs as review_jobs
from ai_goals_tracker.snapshots.jobs import REVIEW_RETRIES, review_snapshot_now
from tests.ai.openai_stub import Reply, openai_stub
from tests.helpers import API, ApiUser, events_of, register_and_login
from tests.review.corpus import sample_code
from tests.snapshots.helpers import run_reviews, submit, task_with_criteria

LOGIN = sample_code("correct_login.py")


@pytest.fixture
async def in_runtime(settings: Settings, database_url: str) -> AsyncIterator[None]:
    async with job_runtime(settings, database_url):
        yield


async def submitted(client: httpx.AsyncClient, name: str) -> tuple[ApiUser, str, str]:
    user = await register_and_login(client, name)
    _, (task_id,) = await task_with_criteria(client, user)
    response = await submit(client, user, task_id, LOGIN)
    assert response.status_code == 202, response.text
    return user, task_id, response.json()["id"]


async def worker_events(app: FastAPI, user_id: str) -> list[Event]:
    return [e for e in await events_of(app, user_id) if e.meta["source"] == "worker"]


@pytest.mark.parametrize(
    ("metadata", "locale"),
    [
        ({"preferences": {"language": "es"}}, "es"),
        ({"preferences": {"language": "es-MX"}}, "es"),
        ({"preferences": {"language": "en"}}, "en"),
        ({"preferences": {"language": "fr"}}, "en"),
        ({"preferences": "es"}, "en"),
        ({}, "en"),
    ],
)
def test_the_locale_comes_from_the_users_preferences(metadata: dict[str, Any], locale: str) -> None:
    assert user_locale(User(email="a@b.c", username="abc", hashed_password="x", meta=metadata)) == locale


@pytest.mark.usefixtures("in_runtime")
async def test_running_the_job_twice_records_one_verdict(client: httpx.AsyncClient, app: FastAPI) -> None:
    user, _, snapshot_id = await submitted(client, "twice")

    await review_snapshot_now(snapshot_id)
    first = (await client.get(f"{API}/snapshots/{snapshot_id}", headers=user.headers)).json()
    await review_snapshot_now(snapshot_id)

    assert (await client.get(f"{API}/snapshots/{snapshot_id}", headers=user.headers)).json() == first
    types = [e.event_type.value for e in await worker_events(app, user.id)]
    assert types.count("code.validated") == 1
    assert types.count("task.completed") == 1


async def test_a_review_that_keeps_crashing_ends_not_reviewed_with_a_system_error(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        calls.append("review")
        raise RuntimeError("analyzer exploded")

    monkeypatch.setattr(review_jobs, "review_submission_with_llm", broken)
    user, task_id, snapshot_id = await submitted(client, "unlucky")

    await run_reviews(settings, database_url)

    assert len(calls) == REVIEW_RETRIES + 1
    snapshot = (await client.get(f"{API}/snapshots/{snapshot_id}", headers=user.headers)).json()
    # A crash says nothing about the code: no verdict, the reason, and the task still waits for one.
    assert snapshot["validation_passed"] is None
    assert snapshot["review_status"] == "not_reviewed"
    assert "stopped its worker 3 time(s)" in snapshot["review_reason"]
    task = (await client.get(f"{API}/tasks/{task_id}", headers=user.headers)).json()
    assert task["status"] == "in_review"
    events = await worker_events(app, user.id)
    assert [e.event_type.value for e in events] == [
        "code.validated",
        "ai.validation_completed",
        "ai.feedback_generated",
        "system.error",
    ]
    assert events[1].payload["outcome"] == "not_reviewed"
    assert "analyzer exploded" in events[3].payload["error"]

    # Retrying queues a new review, which (with the analyzers working again) gives a verdict.
    monkeypatch.undo()
    retried = await client.post(f"{API}/snapshots/{snapshot_id}/review", headers=user.headers)
    assert retried.status_code == 202
    assert retried.json()["review_status"] == "pending"
    await run_reviews(settings, database_url)
    snapshot = (await client.get(f"{API}/snapshots/{snapshot_id}", headers=user.headers)).json()
    assert snapshot["review_status"] == "passed"
    again = await client.post(f"{API}/snapshots/{snapshot_id}/review", headers=user.headers)
    assert (again.status_code, again.json()["review_status"]) == (409, "passed")


@pytest.mark.usefixtures("in_runtime")
async def test_a_job_whose_workers_kept_dying_records_not_reviewed_without_reviewing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    user, task_id, snapshot_id = await submitted(client, "doomed")

    await review_snapshot_now(snapshot_id, attempt=REVIEW_RETRIES + 1)

    assert (await client.get(f"{API}/tasks/{task_id}", headers=user.headers)).json()["status"] == "in_review"
    errors = [e for e in await worker_events(app, user.id) if e.event_type.value == "system.error"]
    assert errors[0].payload["error"] == f"the review stopped its worker {REVIEW_RETRIES + 1} time(s)"


async def test_invalid_llm_output_falls_back_to_offline_feedback_with_a_warning(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, database_url: str
) -> None:
    user, _, snapshot_id = await submitted(client, "llmfan")
    with openai_stub(Reply(content="this is not json")) as (url, stub):
        llm_settings = settings.model_copy(update={"llm_base_url": url, "llm_model": "stub", "llm_timeout_seconds": 5})
        async with job_runtime(llm_settings, database_url):
            await review_snapshot_now(snapshot_id)
    assert len(stub.requests) == 2  # the answer was asked for again once

    snapshot = (await client.get(f"{API}/snapshots/{snapshot_id}", headers=user.headers)).json()
    assert snapshot["validation_passed"] is True
    assert snapshot["metadata"]["review"]["feedback_source"] == "offline"
    events = await worker_events(app, user.id)
    assert [e.event_type.value for e in events][:4] == [
        "code.validated",
        "ai.validation_completed",
        "ai.feedback_generated",
        "system.warning",
    ]
    assert "offline feedback used" in events[3].payload["message"]


async def test_llm_feedback_is_recorded_when_the_llm_answers(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, database_url: str
) -> None:
    user, task_id, snapshot_id = await submitted(client, "llmok")
    answer = {
        "summary": "Solid login: constant-time comparison.",
        "feedback_markdown": "### What went well\n- `hmac.compare_digest` on line 17.",
        "criteria": [],
    }
    with openai_stub(Reply(content=json.dumps(answer))) as (url, _):
        llm_settings = settings.model_copy(update={"llm_base_url": url, "llm_model": "stub", "llm_timeout_seconds": 5})
        async with job_runtime(llm_settings, database_url):
            await review_snapshot_now(snapshot_id)

    task = (await client.get(f"{API}/tasks/{task_id}", headers=user.headers)).json()
    assert task["status"] == "completed"
    assert "hmac.compare_digest" in task["ai_feedback"]
    assert task["validation_result"]["feedback_source"] == "llm"
    feedback = next(e for e in await worker_events(app, user.id) if e.event_type.value == "ai.feedback_generated")
    assert feedback.payload["source"] == "llm"
    assert not [e for e in await worker_events(app, user.id) if e.event_type.value == "system.warning"]


def test_every_job_module_is_importable_by_the_worker() -> None:
    from ai_goals_tracker.jobs import JOB_MODULES, job_app

    assert "ai_goals_tracker.snapshots.jobs" in JOB_MODULES
    assert job_app.tasks["review_snapshot"].queue == "reviews"


async def test_no_one_can_ask_for_a_new_review_of_another_learners_snapshot(client: httpx.AsyncClient) -> None:
    _, _, snapshot_id = await submitted(client, "victim")
    intruder = await register_and_login(client, "intruder")

    foreign = await client.post(f"{API}/snapshots/{snapshot_id}/review", headers=intruder.headers)
    forged = await client.post(f"{API}/snapshots/cs_%00abc/review", headers=intruder.headers)

    assert foreign.status_code == 404
    assert forged.status_code in (404, 422)
