"""LLMClient against a local server that speaks the chat-completions protocol."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, Field, SecretStr

from ai_goals_tracker.ai.llm import (
    CHARS_PER_TOKEN,
    LLMClient,
    LLMError,
    LLMInvalidOutput,
    LLMProviderError,
    LLMTimeout,
    wire_schema,
)
from ai_goals_tracker.config import Settings
from tests.ai.openai_stub import Reply, openai_stub


class Plan(BaseModel):
    title: str = Field(max_length=80)
    steps: list[str]


GOOD = json.dumps({"title": "Learn JWT", "steps": ["read the RFC", "sign a token"]})
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Plan my week"}]


def client(base_url: str, timeout: float = 5.0, model: str = "stub-model", **options: Any) -> LLMClient:
    return LLMClient(base_url=base_url, model=model, api_key="k", timeout_seconds=timeout, **options)


async def test_structured_answer_is_validated_into_the_schema() -> None:
    with openai_stub(Reply(GOOD)) as (url, state):
        plan = await client(url).complete_structured(MESSAGES, Plan)
    assert plan == Plan(title="Learn JWT", steps=["read the RFC", "sign a token"])
    sent = state.requests[0]
    assert sent["model"] == "stub-model"
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"]["required"] == ["title", "steps"]


async def test_invalid_output_is_retried_once_with_a_correction() -> None:
    with openai_stub(Reply("this is not json"), Reply(GOOD)) as (url, state):
        plan = await client(url).complete_structured(MESSAGES, Plan)
    assert plan.title == "Learn JWT"
    assert len(state.requests) == 2
    correction = state.requests[1]["messages"][-1]["content"]
    assert "not valid JSON" in correction
    assert '"title"' in correction  # json_schema mode: the schema is repeated once, for servers that ignore it


async def test_output_invalid_twice_gives_up() -> None:
    wrong_shape = json.dumps({"title": "x"})
    with openai_stub(Reply("{broken"), Reply(wrong_shape)) as (url, state), pytest.raises(LLMInvalidOutput):
        await client(url).complete_structured(MESSAGES, Plan)
    assert len(state.requests) == 2


async def test_slow_provider_times_out_within_the_configured_bound() -> None:
    with openai_stub(Reply(GOOD, delay_seconds=3)) as (url, state):
        started = time.perf_counter()
        with pytest.raises(LLMTimeout):
            await client(url, timeout=0.5).complete_structured(MESSAGES, Plan)
        elapsed = time.perf_counter() - started
    assert elapsed < 2
    assert len(state.requests) == 1


async def test_server_error_is_retried_once_then_reported() -> None:
    with openai_stub(Reply(status=500)) as (url, state), pytest.raises(LLMProviderError, match="500"):
        await client(url).complete_structured(MESSAGES, Plan)
    assert len(state.requests) == 2


async def test_transient_error_then_success() -> None:
    with openai_stub(Reply(status=503), Reply(GOOD)) as (url, _):
        plan = await client(url).complete_structured(MESSAGES, Plan)
    assert plan.steps == ["read the RFC", "sign a token"]


async def test_client_error_is_not_retried() -> None:
    with openai_stub(Reply(status=401)) as (url, state), pytest.raises(LLMProviderError, match="401"):
        await client(url).complete_structured(MESSAGES, Plan)
    assert len(state.requests) == 1


async def test_unreachable_provider_is_reported() -> None:
    with openai_stub(Reply(GOOD)) as (url, _):
        dead_url = url
    with pytest.raises(LLMProviderError):
        await client(dead_url, timeout=2).complete_structured(MESSAGES, Plan)


def test_built_from_settings_only_when_configured() -> None:
    assert LLMClient.from_settings(Settings(llm_base_url=None, llm_model=None)) is None
    configured = LLMClient.from_settings(
        Settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="m", llm_api_key=SecretStr("s"), llm_timeout_seconds=7)
    )
    assert configured is not None
    assert configured.model == "m" and configured.timeout_seconds == 7
    assert configured.max_tokens == 1024 and configured.context_tokens == 4096
    assert configured.response_format == "json_schema"


async def test_every_request_asks_for_a_bounded_answer() -> None:
    with openai_stub(Reply(GOOD)) as (url, state):
        await client(url, max_tokens=300).complete_structured(MESSAGES, Plan)
    assert state.requests[0]["max_tokens"] == 300


def test_the_schema_sent_keeps_string_limits_as_words_for_strict_servers() -> None:
    # OpenAI's strict structured outputs refuse maxLength; the limit reaches the model as a sentence
    # and is enforced when the answer is validated.
    sent = wire_schema(Plan)["properties"]["title"]
    assert "maxLength" not in sent and "At most 80 characters" in sent["description"]


async def test_an_answer_cut_at_max_tokens_is_refused_not_parsed() -> None:
    # Valid JSON that stops early would otherwise pass for a short answer.
    cut = Reply(GOOD, finish_reason="length")
    with openai_stub(cut) as (url, state), pytest.raises(LLMInvalidOutput, match="truncated at 128 tokens"):
        await client(url, max_tokens=128).complete_structured(MESSAGES, Plan)
    assert len(state.requests) == 2


async def test_a_server_that_refuses_json_schema_is_asked_with_json_object_once_and_remembered() -> None:
    with openai_stub(Reply(GOOD), refused_formats=frozenset({"json_schema"})) as (url, state):
        first = await client(url, model="refuses-json-schema").complete_structured(MESSAGES, Plan)
        # A later client (each review makes its own) goes straight to the format that worked.
        second = await client(url, model="refuses-json-schema").complete_structured(MESSAGES, Plan)
    assert first == second == Plan(title="Learn JWT", steps=["read the RFC", "sign a token"])
    assert [r["response_format"]["type"] for r in state.requests] == ["json_schema", "json_object", "json_object"]
    # Without json_schema the server does not know the schema: the prompt carries it.
    system = state.requests[1]["messages"][0]
    assert system["role"] == "system" and "JSON schema" in system["content"] and '"steps"' in system["content"]


async def test_json_in_a_markdown_fence_is_read_in_json_object_mode() -> None:
    fenced = f"```json\n{GOOD}\n```"
    with openai_stub(Reply(fenced)) as (url, _):
        plan = await client(url, response_format="json_object").complete_structured(MESSAGES, Plan)
    assert plan.title == "Learn JWT"


async def test_the_retry_fits_the_context_it_was_budgeted_for() -> None:
    llm = client("http://127.0.0.1:9/v1", context_tokens=4096, max_tokens=1024)
    budget = llm.prompt_budget_chars(Plan)
    assert budget > 0
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "x" * budget}]
    with openai_stub(Reply("{broken"), Reply(GOOD)) as (url, state):
        llm = client(url, context_tokens=4096, max_tokens=1024)
        await llm.complete_structured(messages, Plan)
    retry = state.requests[1]
    prompt_chars = sum(len(m["content"]) for m in retry["messages"])
    assert prompt_chars // CHARS_PER_TOKEN + retry["max_tokens"] <= 4096


async def test_a_prompt_over_the_budget_is_refused_before_it_is_sent() -> None:
    with openai_stub(Reply(GOOD)) as (url, state):
        llm = client(url, context_tokens=2048, max_tokens=1024)
        too_long: list[ChatCompletionMessageParam] = [{"role": "user", "content": "x" * 10_000}]
        with pytest.raises(LLMError, match="AIGT_LLM_CONTEXT_TOKENS"):
            await llm.complete_structured(too_long, Plan)
    assert state.requests == []
