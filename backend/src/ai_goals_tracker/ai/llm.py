"""A chat-completions client for any OpenAI-compatible server, answering in validated structures.

Shared by code review and goal planning: `complete_structured(messages, schema)` asks for JSON that
matches a Pydantic model (structured output), validates it, and retries once when it does not.
Every call is bounded in time; failures surface as `LLMError` so callers can fall back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam

    from ai_goals_tracker.config import Settings

ModelT = TypeVar("ModelT", bound=BaseModel)

# Local servers (Ollama, vLLM, LM Studio) accept any key; the openai package insists on one.
_PLACEHOLDER_API_KEY = "not-needed"
_TRANSIENT_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


class LLMError(Exception):
    """The LLM gave no usable answer."""


class LLMTimeout(LLMError):
    pass


class LLMProviderError(LLMError):
    pass


class LLMInvalidOutput(LLMError):
    pass


class LLMClient:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_seconds: float = 60.0,
        attempts: int = 2,
        temperature: float = 0.2,
    ) -> None:
        self.model = model
        self.timeout_seconds = timeout_seconds
        self._attempts = max(1, attempts)
        self._temperature = temperature
        # Imported here: the openai package costs a CPU second to import, which every `aigt` command
        # and an offline review would pay without using it.
        from openai import AsyncOpenAI

        # Retries are ours (one policy for invalid output and transient errors), so the SDK's are off.
        self._client = AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or _PLACEHOLDER_API_KEY,
            timeout=timeout_seconds,
            max_retries=0,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMClient | None:
        """The configured client, or None when no LLM is configured (the review stays offline)."""
        if not settings.llm_base_url or not settings.llm_model:
            return None
        api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return cls(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=api_key,
            timeout_seconds=settings.llm_timeout_seconds,
        )

    async def complete_structured(self, messages: Sequence[ChatCompletionMessageParam], schema: type[ModelT]) -> ModelT:
        """The model's answer parsed as `schema`; raises LLMError after at most `attempts` tries."""
        conversation = list(messages)
        failure: LLMError = LLMError("no attempt made")
        for _ in range(self._attempts):
            try:
                content = await self._ask(conversation, schema)
                return schema.model_validate_json(content)
            except ValidationError as exc:
                failure = LLMInvalidOutput(f"answer does not match {schema.__name__}: {_short(exc)}")
                conversation = [*messages, _correction(schema, exc)]
            except LLMInvalidOutput as exc:
                failure = exc
            except _Transient as exc:
                failure = LLMProviderError(str(exc))
        raise failure

    async def aclose(self) -> None:
        await self._client.close()

    async def _ask(self, conversation: list[ChatCompletionMessageParam], schema: type[BaseModel]) -> str:
        import openai
        from openai.lib import type_to_response_format_param

        try:
            # The SDK's timeout covers each read; this one bounds the whole exchange, however slowly it trickles.
            async with asyncio.timeout(self.timeout_seconds):
                response = await self._client.chat.completions.create(
                    model=self.model,
                    messages=conversation,
                    response_format=type_to_response_format_param(schema),
                    temperature=self._temperature,
                )
        except (TimeoutError, openai.APITimeoutError) as exc:
            raise LLMTimeout(f"no answer within {self.timeout_seconds:g} s") from exc
        except openai.APIStatusError as exc:
            if exc.status_code in _TRANSIENT_STATUS:
                raise _Transient(f"provider answered {exc.status_code}") from exc
            raise LLMProviderError(f"provider answered {exc.status_code}: {_short(exc)}") from exc
        except openai.APIConnectionError as exc:
            raise _Transient(f"cannot reach the provider: {exc}") from exc
        except openai.OpenAIError as exc:
            raise LLMProviderError(_short(exc)) from exc
        if not response.choices:
            raise LLMInvalidOutput("the answer has no choices")
        message = response.choices[0].message
        if message.refusal:
            raise LLMInvalidOutput(f"the model refused: {message.refusal[:200]}")
        if not message.content:
            raise LLMInvalidOutput("the answer is empty")
        return message.content


class _Transient(Exception):
    """A failure worth one more try: overloaded or unreachable provider."""


def _correction(schema: type[BaseModel], error: ValidationError) -> ChatCompletionMessageParam:
    return {
        "role": "user",
        "content": (
            "Your previous answer was not valid JSON for the required schema "
            f"({_short(error)}). Answer again with only a JSON object matching this schema:\n"
            + json.dumps(schema.model_json_schema())
        ),
    }


def _short(error: Exception) -> str:
    return str(error).replace("\n", " ")[:300]
