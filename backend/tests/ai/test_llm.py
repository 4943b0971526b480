"""LLMClient against a local server that speaks the chat-completions protocol."""

from __future__ import annotations

import json
import time

import pytest
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, SecretStr

from ai_goals_tracker.ai.llm import LLMClient, LLMInvalidOutput, LLMProviderError, LLMTimeout
from ai_goals_tracker.config import Settings
from tests.ai.openai_stub import Reply, openai_stub


class Plan(BaseModel):
    title: str
    steps: list[str]


GOOD = json.dumps({"title": "Learn JWT", "steps": ["read the RFC", "sign a token"]})
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Plan my week"}]


def client(base_url: str, timeout: float = 5.0) -> LLMClient:
    return LLMClient(base_url=base_url, model="stub-model", api_key="k", timeout_seconds=timeout)


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
    assert "not valid JSON" in state.requests[1]["messages"][-1]["content"]


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
