"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS): besides what the OpenAPI schema
describes, generated requests carry the values an attacker sends on purpose, in any query, path
or body field: NUL characters, date-times that overflow once shifted to UTC, calendar edges,
NaN, Infinity and 1e400 (which JSON encoders refuse to write, so bodies are encoded here), and
objects nested hundreds of levels deep."""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.transport import SerializationContext
from schemathesis.transport.serialization import serialize_json

# Written into the JSON text as the number literal 1e400, which Python would read as Infinity.
HUGE_NUMBER = "__aigt_1e400__"
HOSTILE_TEXT = [
    "a\x00b",
    "\x00",
    "tsk_\x00abc",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31",
    "0001-01-01",
]
HOSTILE_NUMBERS: list[Any] = [float("nan"), float("inf"), float("-inf"), HUGE_NUMBER]


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def hostile_value() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT),
        st.sampled_from(HOSTILE_NUMBERS),
        st.integers(256, 400).map(nested),
        st.sampled_from(HOSTILE_NUMBERS).map(lambda number: {"score": number}),
    )


def with_one_hostile_field(fields: dict[str, Any], values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """`fields` as generated, or with one of them replaced by a hostile value."""
    if not fields:
        return st.just(fields)
    replaced = st.tuples(st.sampled_from(sorted(fields)), values).map(lambda pair: {**fields, pair[0]: pair[1]})
    return st.one_of(st.just(fields), replaced)


@schemathesis.hook
def flatmap_query(_context: Any, query: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    return with_one_hostile_field(query or {}, st.sampled_from(HOSTILE_TEXT)) if query else st.just(query)


@schemathesis.hook
def flatmap_path_parameters(_context: Any, parameters: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    if not parameters:
        return st.just(parameters)
    return with_one_hostile_field(parameters, st.sampled_from(HOSTILE_TEXT))


@schemathesis.hook
def flatmap_body(_context: Any, body: Any) -> st.SearchStrategy[Any]:
    return with_one_hostile_field(body, hostile_value()) if isinstance(body, dict) else st.just(body)


@schemathesis.serializer("application/json")
def json_with_non_finite_numbers(_context: SerializationContext, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict | list):
        return serialize_json(value)
    text = json.dumps(value, allow_nan=True).replace(f'"{HUGE_NUMBER}"', "1e400")
    return {"data": text.encode(), "headers": {"Content-Type": "application/json"}}
