"""A chat-completions client for any OpenAI-compatible server, answering in validated structures.

Shared by code review and goal planning: `complete_structured(messages, schema)` asks for JSON that
matches a Pydantic model (structured output), validates it, and retries once when it does not.

Every answer is bounded: in time (`AIGT_LLM_TIMEOUT_SECONDS` for the whole exchange), in length
(`AIGT_LLM_MAX_TOKENS`, and a cut-off answer is refused, not parsed) and in prompt size: callers fit
their messages in `prompt_budget_chars(schema)`, which leaves room in `AIGT_LLM_CONTEXT_TOKENS` for
the answer and for the retry's correction. Servers differ in the response formats they accept:
`json_schema` is tried first; a server that refuses it is asked with `json_object` and the schema in
the prompt, and what each server accepted is remembered for the life of the process, so the
detection costs one request once, not every call. Failures surface as `LLMError` so callers can
fall back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

    from ai_goals_tracker.config import Settings

ModelT = TypeVar("ModelT", bound=BaseModel)
ResponseFormat = Literal["json_schema", "json_object"]
FormatSetting = Literal["auto", "json_schema", "json_object"]

logger = logging.getLogger(__name__)

# Local servers (Ollama, vLLM, LM Studio) accept any key; the openai package insists on one.
_PLACEHOLDER_API_KEY = "not-needed"
_TRANSIENT_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
# How a server says it does not take a response format: a client error, or (llama-cpp-python's
# server) an internal one.
_FORMAT_REFUSAL_STATUS = frozenset({400, 422, 500, 501})
# A conservative estimate of the tokenizers of small open models: measured on SmolLM2's, code takes
# about 3.6 characters a token, JSON schemas 3.4, Spanish prose 2.7; a prompt counted this way is not longer.
CHARS_PER_TOKEN = 2.5
# Role markers and the chat template's tokens around each message.
_TOKENS_PER_MESSAGE = 8
_CORRECTION_CHARS = 600


class LLMError(Exception):
    """The LLM gave no usable answer."""


class LLMTimeout(LLMError):
    pass


class LLMProviderError(LLMError):
    pass


class LLMInvalidOutput(LLMError):
    pass


@dataclass(slots=True)
class _ServerTraits:
    """What one server (base URL and model) was found to accept."""

    response_format: ResponseFormat | None = None
    token_parameter: str = "max_tokens"  # noqa: S105 (a parameter's name)


_SERVERS: dict[tuple[str, str], _ServerTraits] = {}


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


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
        max_tokens: int = 1024,
        context_tokens: int = 4096,
        response_format: FormatSetting = "auto",
    ) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.max_tokens = max_tokens
        self.context_tokens = context_tokens
        self._attempts = max(1, attempts)
        self._temperature = temperature
        self._format_setting = response_format
        self._traits = _SERVERS.setdefault((self.base_url, model), _ServerTraits())
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
            max_tokens=settings.llm_max_tokens,
            context_tokens=settings.llm_context_tokens,
            response_format=settings.llm_response_format,
        )

    @property
    def response_format(self) -> ResponseFormat:
        """The format the next request uses: the configured one, or what this server was found to accept."""
        if self._format_setting != "auto":
            return self._format_setting
        return self._traits.response_format or "json_schema"

    def prompt_budget_chars(self, schema: type[BaseModel]) -> int:
        """How many characters the caller's messages may take, all together.

        What is left of the context once the answer (`max_tokens`), the schema (in the prompt or in
        the retry's correction, never both) and the correction are counted.
        """
        reserved = self.max_tokens + estimate_tokens(schema_text(schema)) + estimate_tokens("x" * _CORRECTION_CHARS)
        reserved += 4 * _TOKENS_PER_MESSAGE
        return int(max(0, self.context_tokens - reserved) * CHARS_PER_TOKEN)

    async def complete_structured(self, messages: Sequence[ChatCompletionMessageParam], schema: type[ModelT]) -> ModelT:
        """The model's answer parsed as `schema`; raises LLMError after at most `attempts` tries."""
        response_format = self.response_format
        conversation = _with_schema(messages, schema, response_format)
        failure: LLMError = LLMError("no attempt made")
        for _ in range(self._attempts):
            self._ensure_fits(conversation)
            try:
                content = await self._ask(conversation, schema, response_format)
                return schema.model_validate_json(_json_document(content))
            except ValidationError as exc:
                failure = LLMInvalidOutput(f"answer does not match {schema.__name__}: {_short(exc)}")
                conversation = _corrected(messages, schema, response_format, failure)
            except LLMInvalidOutput as exc:
                failure = exc
                conversation = _corrected(messages, schema, response_format, exc)
            except _FormatRefused as exc:
                failure = LLMProviderError(str(exc))
                response_format = "json_object"
                conversation = _with_schema(messages, schema, response_format)
                logger.info("%s refused json_schema (%s); trying json_object", self.base_url, exc)
            except _Transient as exc:
                failure = LLMProviderError(str(exc))
        raise failure

    async def aclose(self) -> None:
        await self._client.close()

    def _ensure_fits(self, conversation: Sequence[ChatCompletionMessageParam]) -> None:
        prompt = sum(estimate_tokens(str(m.get("content") or "")) + _TOKENS_PER_MESSAGE for m in conversation)
        if prompt + self.max_tokens > self.context_tokens:
            raise LLMError(
                f"the prompt (about {prompt} tokens) and the answer ({self.max_tokens}) do not fit the context of "
                f"{self.context_tokens} tokens (AIGT_LLM_CONTEXT_TOKENS)"
            )

    async def _ask(
        self, conversation: list[ChatCompletionMessageParam], schema: type[BaseModel], response_format: ResponseFormat
    ) -> str:
        import openai

        detecting = self._format_setting == "auto" and self._traits.response_format is None
        newer_limit = self._traits.token_parameter == "max_completion_tokens"  # noqa: S105
        try:
            # The SDK's timeout covers each read; this one bounds the whole exchange, however slowly it trickles.
            async with asyncio.timeout(self.timeout_seconds):
                response: ChatCompletion = await self._client.chat.completions.create(  # type: ignore[call-overload]
                    model=self.model,
                    messages=conversation,
                    response_format=_response_format_param(schema, response_format),
                    temperature=self._temperature,
                    max_tokens=openai.omit if newer_limit else self.max_tokens,
                    max_completion_tokens=self.max_tokens if newer_limit else openai.omit,
                )
        except (TimeoutError, openai.APITimeoutError) as exc:
            raise LLMTimeout(f"no answer within {self.timeout_seconds:g} s") from exc
        except openai.APIStatusError as exc:
            if exc.status_code == 400 and "max_completion_tokens" in str(exc) and not newer_limit:
                # OpenAI's reasoning models take only the newer name of the same limit.
                self._traits.token_parameter = "max_completion_tokens"  # noqa: S105
                raise _Transient(f"provider answered 400 to max_tokens: {_short(exc)}") from exc
            if detecting and response_format == "json_schema" and exc.status_code in _FORMAT_REFUSAL_STATUS:
                raise _FormatRefused(f"provider answered {exc.status_code}: {_short(exc)}") from exc
            if exc.status_code in _TRANSIENT_STATUS:
                raise _Transient(f"provider answered {exc.status_code}") from exc
            raise LLMProviderError(f"provider answered {exc.status_code}: {_short(exc)}") from exc
        except openai.APIConnectionError as exc:
            raise _Transient(f"cannot reach the provider: {exc}") from exc
        except openai.OpenAIError as exc:
            raise LLMProviderError(_short(exc)) from exc
        if detecting:
            # The server took the request as sent: later calls go straight to this format.
            self._traits.response_format = response_format
        if not response.choices:
            raise LLMInvalidOutput("the answer has no choices")
        choice = response.choices[0]
        message = choice.message
        if message.refusal:
            raise LLMInvalidOutput(f"the model refused: {message.refusal[:200]}")
        if choice.finish_reason == "length":
            raise LLMInvalidOutput(
                f"the answer was truncated at {self.max_tokens} tokens (AIGT_LLM_MAX_TOKENS) before it was complete"
            )
        if not message.content or not message.content.strip():
            raise LLMInvalidOutput("the answer is empty")
        return message.content


class _Transient(Exception):
    """A failure worth one more try: overloaded or unreachable provider."""


class _FormatRefused(Exception):
    """The server refused the `json_schema` response format before it was known to take it."""


def wire_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema sent for `schema`: OpenAI's strict subset, with string lengths moved into the descriptions.

    Strict structured outputs refuse `minLength`/`maxLength`; the limits still hold, since every
    answer is validated against the Pydantic model, and the model reads them in the description.
    """
    from openai.lib import type_to_response_format_param

    param = cast(dict[str, Any], type_to_response_format_param(schema))
    strict: dict[str, Any] = dict(param["json_schema"]["schema"])
    result: dict[str, Any] = _lengths_as_words(strict)
    return result


def _lengths_as_words(node: Any, *, names: bool = False) -> Any:
    """String limits as sentences, and without Pydantic's `title` annotations (tokens the model need not read).

    `names` marks a `properties` map, whose keys are field names (a field may be called `title`).
    """
    if isinstance(node, list):
        return [_lengths_as_words(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {key: _lengths_as_words(value) for key, value in node.items()}
    dropped = ("minLength", "maxLength", "title")
    result = {
        key: _lengths_as_words(value, names=key in ("properties", "$defs"))
        for key, value in node.items()
        if key not in dropped
    }
    if "maxLength" in node:
        limit = f"At most {node['maxLength']} characters."
        described = str(node.get("description") or "").rstrip(". ")
        result["description"] = f"{described}. {limit}" if described else limit
    return result


def schema_text(schema: type[BaseModel]) -> str:
    """The schema as the prompt shows it (`json_object` mode) or the correction repeats it."""
    return json.dumps(wire_schema(schema), separators=(",", ":"), ensure_ascii=False)


def _response_format_param(schema: type[BaseModel], response_format: ResponseFormat) -> dict[str, Any]:
    if response_format == "json_object":
        return {"type": "json_object"}
    name = re.sub(r"[^A-Za-z0-9_-]", "_", schema.__name__)[:64]
    return {"type": "json_schema", "json_schema": {"name": name, "schema": wire_schema(schema), "strict": True}}


def _with_schema(
    messages: Sequence[ChatCompletionMessageParam], schema: type[BaseModel], response_format: ResponseFormat
) -> list[ChatCompletionMessageParam]:
    """In `json_object` mode the server does not know the schema: the system message carries it."""
    if response_format == "json_schema":
        return list(messages)
    instruction = f"Answer with only one JSON object that matches this JSON schema:\n{schema_text(schema)}"
    first, *rest = messages
    if first["role"] == "system":
        content = f"{first.get('content') or ''}\n\n{instruction}"
        return [{"role": "system", "content": content}, *rest]
    return [{"role": "system", "content": instruction}, *messages]


def _corrected(
    messages: Sequence[ChatCompletionMessageParam],
    schema: type[BaseModel],
    response_format: ResponseFormat,
    failure: LLMError,
) -> list[ChatCompletionMessageParam]:
    """The conversation again, with one short correction (what the context budget reserved room for).

    In json_object mode the schema is already in the system message; in json_schema mode it is
    repeated once, for servers that ignore the response format they were sent.
    """
    repeated = "" if response_format == "json_object" else f" This JSON schema:\n{schema_text(schema)}"
    correction: ChatCompletionMessageParam = {
        "role": "user",
        "content": (
            f"Your previous answer was not valid JSON for the required schema ({str(failure)[:300]}). "
            f"Answer again with only one short JSON object, every text brief.{repeated}"
        ),
    }
    return [*_with_schema(messages, schema, response_format), correction]


_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(?P<body>.*)\n\s*```\s*$", re.DOTALL)


def _json_document(content: str) -> str:
    """The answer without the markdown fence some models put around JSON in `json_object` mode."""
    fenced = _FENCE.match(content)
    return fenced.group("body") if fenced else content


def _short(error: Exception) -> str:
    return str(error).replace("\n", " ")[:300]
