"""The LLM path against llama.cpp's llama-server with SmolLM2-135M-Instruct: mechanics, not model quality.

A 135M model often writes something useless, or nothing in time; that is its right. What must hold
whatever it writes: the server takes the requests as sent (the response format detected once), every
review settles, either the model's answer is merged (only natural-language criteria judged by it,
everything the analyzers decided exactly as offline) or the offline result stands with exactly one
warning naming the reason, planning answers 200, and with the server gone the fallback does not wait
for the timeout.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from tests.helpers import API, ApiUser, events_of, register_and_login
from tests.review.corpus import sample_code
from tests.review.test_review_with_llm import INJECTED
from tests.snapshots.helpers import submit, task_with_criteria

from ai_goals_tracker.ai.llm import LLMClient, LLMError, LLMProviderError
from ai_goals_tracker.config import Settings
from ai_goals_tracker.jobs import job_runtime
from ai_goals_tracker.main import create_app
from ai_goals_tracker.models.enums import EventType
from ai_goals_tracker.review import ReviewRequest
from ai_goals_tracker.review.llm_feedback import LLMReview, llm_review_messages
from ai_goals_tracker.review.pipeline import review_submission
from ai_goals_tracker.snapshots.jobs import review_snapshot_now
from tests_llm.conftest import CONTEXT_TOKENS, LlamaServer, assert_every_request_fit

MODEL = "smollm2-135m-instruct"
MAX_TOKENS = 512
# Enough to see the request taken and answered; a cut answer is refused, which is mechanics too.
SHORT_ANSWER_TOKENS = 64
# Per attempt; a review or a plan makes at most two. Generous: two shared cores, a busy machine.
TIMEOUT_SECONDS = 240.0
CRITERIA: list[Any] = [
    "Passwords are compared in constant time",
    {"check": "defines", "name": "login"},
    {"check": "no_findings", "severity": "major"},
]
SUBMISSIONS = {"correct": sample_code("correct_login.py"), "injected": INJECTED}


def with_llm(settings: Settings, url: str, timeout: float = TIMEOUT_SECONDS) -> Settings:
    return settings.model_copy(
        update={
            "llm_base_url": url,
            "llm_model": MODEL,
            "llm_timeout_seconds": timeout,
            "llm_max_tokens": MAX_TOKENS,
            "llm_context_tokens": CONTEXT_TOKENS,
        }
    )


async def test_the_server_takes_the_request_and_its_response_format_is_found_once(
    llama_server: LlamaServer,
) -> None:
    request = ReviewRequest(code=INJECTED, file_path="login.py", criteria=CRITERIA, locale="en")
    offline = review_submission(request)
    for _ in range(2):  # a second client, as each review makes its own, asks straight in the format found
        client = LLMClient(
            base_url=llama_server.url,
            model=MODEL,
            timeout_seconds=TIMEOUT_SECONDS,
            max_tokens=SHORT_ANSWER_TOKENS,
            context_tokens=CONTEXT_TOKENS,
        )
        try:
            messages = llm_review_messages(request, offline, client.prompt_budget_chars(LLMReview))
            await client.complete_structured(messages, LLMReview)
        except LLMProviderError as exc:
            pytest.fail(f"the server refused the request: {exc}")
        except LLMError:
            pass  # a useless or late answer is the model's right
        finally:
            await client.aclose()
    exchanges = llama_server.proxy.exchanges
    assert exchanges and all(exchange.max_tokens == SHORT_ANSWER_TOKENS for exchange in exchanges)
    # At most one refusal, of json_schema, on the first request; every later request in the format taken.
    refused = [exchange for exchange in exchanges if exchange.status != 200]
    assert refused in ([], exchanges[:1]), [vars(exchange) for exchange in exchanges]
    taken = {exchange.response_format for exchange in exchanges if exchange.status == 200}
    assert len(taken) == 1 and taken <= {"json_schema", "json_object"}, [vars(e) for e in exchanges]
    assert_every_request_fit(llama_server.proxy)


async def _submitted(client: httpx.AsyncClient, user: ApiUser) -> dict[str, str]:
    _, task_ids = await task_with_criteria(client, user, criteria=CRITERIA, tasks=len(SUBMISSIONS))
    ids = {}
    for (name, code), task_id in zip(SUBMISSIONS.items(), task_ids, strict=True):
        response = await submit(client, user, task_id, code, file_path="login.py")
        assert response.status_code == 202, response.text
        ids[name] = response.json()["id"]
    return ids


async def _snapshot(client: httpx.AsyncClient, user: ApiUser, snapshot_id: str) -> dict[str, Any]:
    response = await client.get(f"{API}/snapshots/{snapshot_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    snapshot: dict[str, Any] = response.json()
    return snapshot


async def test_every_review_settles_with_the_analyzers_verdicts_and_the_models_only_where_it_may(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, database_url: str, llama_server: LlamaServer
) -> None:
    offline_user = await register_and_login(client, "offline")
    model_user = await register_and_login(client, "withmodel")
    offline_ids = await _submitted(client, offline_user)
    model_ids = await _submitted(client, model_user)
    async with job_runtime(settings, database_url):
        for snapshot_id in offline_ids.values():
            await review_snapshot_now(snapshot_id)
    async with job_runtime(with_llm(settings, llama_server.url), database_url):
        for snapshot_id in model_ids.values():
            await review_snapshot_now(snapshot_id)

    events = await events_of(app, model_user.id)
    for name in SUBMISSIONS:
        offline = await _snapshot(client, offline_user, offline_ids[name])
        judged = await _snapshot(client, model_user, model_ids[name])
        assert judged["review_status"] in ("passed", "failed"), (name, judged["review_status"])
        assert judged["issues_found"] == offline["issues_found"]
        offline_criteria = offline["metadata"]["review"]["criteria"]
        judged_criteria = judged["metadata"]["review"]["criteria"]
        warnings = [
            e.payload["message"]
            for e in events
            if e.event_type is EventType.SYSTEM_WARNING and e.entity_id == model_ids[name]
        ]
        source = judged["metadata"]["review"]["feedback_source"]
        print(f"\n{name}: {judged['review_status']}, feedback from {source}, warnings {warnings}")
        if source == "llm":
            assert warnings == []
            for before, after in zip(offline_criteria, judged_criteria, strict=True):
                if after["judged_by"] == "llm":
                    assert before["kind"] == "natural_language" and before["status"] == "needs_human"
                    assert after["evidence"].startswith("Judged by an AI model")
                else:
                    assert after == before
            assert judged["validation_feedback"].startswith(offline["validation_feedback"].split("\n\n")[0])
        else:
            assert judged_criteria == offline_criteria
            assert judged["validation_feedback"] == offline["validation_feedback"]
            assert len(warnings) == 1 and "offline feedback used" in warnings[0], warnings
        if name == "injected":
            # A blocking finding and a missing `login`: no answer of the model's passes it.
            assert offline["review_status"] == "failed" and judged["review_status"] == "failed"
    assert_every_request_fit(llama_server.proxy)


@asynccontextmanager
async def app_with(settings: Settings, database_url: str) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    application = create_app(settings, database_url)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://test") as http:
        yield application, http
    await application.state.engine.dispose()
    await application.state.read_engine.dispose()


@pytest.fixture
async def planning_client(
    settings: Settings, database_url: str, clean_db: None, llama_server: LlamaServer
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with app_with(with_llm(settings, llama_server.url), database_url) as pair:
        yield pair


async def _suggest(application: FastAPI, http: httpx.AsyncClient, name: str) -> tuple[dict[str, Any], list[Any]]:
    user = await register_and_login(http, name)
    body = {"title": "FastAPI Master Course", "description": "Build production web APIs with FastAPI."}
    course = await http.post(f"{API}/courses", json=body, headers=user.headers)
    assert course.status_code == 201, course.text
    response = await http.post(f"{API}/courses/{course.json()['id']}/goals/suggest", json={}, headers=user.headers)
    assert response.status_code == 200, response.text
    warnings = [e for e in await events_of(application, user.id) if e.event_type is EventType.SYSTEM_WARNING]
    answer: dict[str, Any] = response.json()
    return answer, warnings


async def test_planning_answers_with_the_models_plan_or_the_catalog_and_one_warning(
    planning_client: tuple[FastAPI, httpx.AsyncClient], llama_server: LlamaServer
) -> None:
    application, http = planning_client
    answer, warnings = await _suggest(application, http, "planner")
    print(f"\nplanning: source {answer['source']}, warnings {answer['warnings']}")
    assert answer["source"] in ("llm", "catalog")
    if answer["source"] == "llm":
        assert answer["goals"] and warnings == []
        assert all(len(goal["tasks"]) >= 3 and goal["title"].strip() for goal in answer["goals"])
    else:
        [warning] = warnings
        assert warning.payload["component"] == "planner" and warning.payload["reason"]
        assert len(answer["warnings"]) == 1
    assert_every_request_fit(llama_server.proxy)


async def test_with_the_server_stopped_reviews_and_plans_fall_back_without_waiting_for_the_timeout(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, database_url: str, llama_server: LlamaServer
) -> None:
    llama_server.stop()
    # Straight to the server's own port, where nothing listens now; and a timeout no test could wait
    # for: the fallback must come from the refused connection.
    stopped = with_llm(settings, llama_server.direct_url, timeout=3600)
    user = await register_and_login(client, "afterstop")
    snapshot_ids = await _submitted(client, user)
    started = time.perf_counter()
    async with job_runtime(stopped, database_url):
        await review_snapshot_now(snapshot_ids["correct"])
    review_seconds = time.perf_counter() - started
    snapshot = await _snapshot(client, user, snapshot_ids["correct"])
    assert snapshot["review_status"] in ("passed", "failed")
    assert snapshot["metadata"]["review"]["feedback_source"] == "offline"
    [warning] = [e for e in await events_of(app, user.id) if e.event_type is EventType.SYSTEM_WARNING]
    assert "offline feedback used" in warning.payload["message"]
    assert "no answer within" not in warning.payload["message"]

    started = time.perf_counter()
    async with app_with(stopped, database_url) as (application, http):
        answer, warnings = await _suggest(application, http, "planafterstop")
    planning_seconds = time.perf_counter() - started
    assert answer["source"] == "catalog"
    [planner_warning] = warnings
    assert "cannot reach the provider" in planner_warning.payload["reason"]
    print(f"\nserver stopped: review {review_seconds:.1f} s, planning {planning_seconds:.1f} s (LLM timeout 3600 s)")
