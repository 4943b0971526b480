"""Field types shared by the API schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AliasChoices, Field, StringConstraints

MAX_METADATA_BYTES = 16 * 1024


def metadata_within_limit(value: dict[str, Any]) -> dict[str, Any]:
    size = len(json.dumps(value, separators=(",", ":")).encode())
    if size > MAX_METADATA_BYTES:
        raise ValueError(f"metadata is {size} bytes; at most {MAX_METADATA_BYTES} are allowed")
    return value


def _as_utc(value: datetime) -> datetime:
    # A date-time without an offset is taken as UTC, as every timestamp here is.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=20_000)]
Metadata = Annotated[dict[str, Any], AfterValidator(metadata_within_limit)]
UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


def read_metadata_field() -> Any:
    """`metadata` in JSON, read from `meta` on the ORM object (SQLAlchemy reserves `metadata`)."""
    return Field(default_factory=dict, validation_alias=AliasChoices("meta", "metadata"))
