"""The LLM judges natural-language criteria and writes feedback; any failure falls back to offline."""

from __future__ import annotations

import json

from ai_goals_tracker.ai.llm import LLMClient
from ai_goals_tracker.review import ReviewRequest, review_submission_with_llm
from ai_goals_tracker.review.models import CriterionStatus, ReviewOutcome
from tests.ai.openai_stub import Reply, openai_stub
from tests.review.corpus import sample_code

CRITERIA = ["Passwords are compared in constant time", {"check": "defines", "name": "login"}]


def request(locale: str = "es") -> ReviewRequest:
    return ReviewRequest(
        code=sample_code("correct_login.py"),
        file_path="correct_login.py",
        criteria=CRITERIA,
        locale=locale,  # type: ignore[arg-type]
        task_title="Login seguro",
    )


def llm_answer(status: str) -> str:
    return json.dumps(
        {
            "summary": "Buen trabajo: el login compara en tiempo constante.",
            "feedback_markdown": "### Lo que está bien\n- `hmac.compare_digest` en la línea 17.",
            "criteria": [
                {"index": 0, "status": status, "evidence": "line 17 uses hmac.compare_digest"},
                {"index": 1, "status": "not_met", "evidence": "the model must not override analyzers"},
            ],
        }
    )


def llm(url: str) -> LLMClient:
    return LLMClient(base_url=url, model="stub", timeout_seconds=2)


async def test_llm_judges_natural_language_and_writes_feedback() -> None:
    with openai_stub(Reply(llm_answer("met"))) as (url, state):
        result = await review_submission_with_llm(request(), llm(url))
    assert result.feedback_source == "llm"
    assert result.feedback.startswith("### Lo que está bien")
    assert result.criteria[0].status is CriterionStatus.MET
    assert result.criteria[0].judged_by == "llm"
    assert result.criteria[1].status is CriterionStatus.MET  # the analyzer's evidence stands
    assert result.passed and result.score >= 0.9
    prompt = state.requests[0]["messages"]
    assert "Spanish" in prompt[0]["content"]
    assert "needs_judgement" in prompt[1]["content"] and "def login" in prompt[1]["content"]


async def test_llm_saying_not_met_lowers_the_score() -> None:
    with openai_stub(Reply(llm_answer("met"))) as (url, _):
        approved = await review_submission_with_llm(request(), llm(url))
    with openai_stub(Reply(llm_answer("not_met"))) as (url, _):
        rejected = await review_submission_with_llm(request(), llm(url))
    assert rejected.score < approved.score


async def test_invalid_llm_output_falls_back_to_offline_feedback_with_a_warning() -> None:
    with openai_stub(Reply("Sure! Here is my review: great job")) as (url, state):
        result = await review_submission_with_llm(request(), llm(url))
    assert len(state.requests) == 2
    assert result.feedback_source == "offline"
    assert "Lo que está bien" in result.feedback
    assert result.criteria[0].status is CriterionStatus.NEEDS_HUMAN
    assert len(result.warnings) == 1 and "offline feedback used" in result.warnings[0]


async def test_slow_llm_is_bounded_and_falls_back() -> None:
    with openai_stub(Reply(llm_answer("met"), delay_seconds=5)) as (url, _):
        result = await review_submission_with_llm(
            request("en"), LLMClient(base_url=url, model="s", timeout_seconds=0.5)
        )
    assert result.feedback_source == "offline"
    assert "What went well" in result.feedback
    assert "0.5 s" in result.warnings[0]


async def test_provider_error_falls_back() -> None:
    with openai_stub(Reply(status=500)) as (url, _):
        result = await review_submission_with_llm(request(), llm(url))
    assert result.feedback_source == "offline" and result.warnings


async def test_without_llm_the_review_is_offline_and_warning_free() -> None:
    result = await review_submission_with_llm(request(), None)
    assert result.feedback_source == "offline" and result.warnings == []


async def test_a_criterion_the_llm_decides_stops_waiting_one_it_leaves_undecided_still_waits() -> None:
    with openai_stub(Reply(llm_answer("met"))) as (url, _):
        judged = await review_submission_with_llm(request("en"), llm(url))
    assert (judged.outcome, judged.passed) == (ReviewOutcome.PASSED, True)
    silent = json.dumps({"summary": "Fine.", "feedback_markdown": "Fine.", "criteria": []})
    with openai_stub(Reply(silent)) as (url, _):
        unjudged = await review_submission_with_llm(request("en"), llm(url))
    assert (unjudged.outcome, unjudged.passed) == (ReviewOutcome.AWAITING_JUDGEMENT, False)
    assert unjudged.criteria[0].judged_by is None
    assert "wait for a person's judgement" in unjudged.summary
    with openai_stub(Reply("Sure! Here is my review: great job")) as (url, _):
        invalid = await review_submission_with_llm(request("en"), llm(url))
    assert invalid.outcome is ReviewOutcome.AWAITING_JUDGEMENT
