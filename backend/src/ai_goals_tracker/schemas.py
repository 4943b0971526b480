"""Field types shared by the API schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from ai_goals_tracker.errors import InvalidValue
from ai_goals_tracker.i18n import N_

# The page size of every list (`limit`): by default, and the most a client may ask for.
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_METADATA_BYTES = 16 * 1024
# Deeper JSON serves no tracker use and costs recursion in every encoder and in PostgreSQL.
MAX_METADATA_DEPTH = 32


def storable_text(value: str) -> str:
    """PostgreSQL text holds UTF-8 without NUL: refuse what it would reject, with a clear message."""
    if "\x00" in value:
        raise InvalidValue(N_("text must not contain NUL (\\u0000) characters"))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidValue(N_("text must be valid Unicode (no unpaired surrogates)")) from exc
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether `value` nests more than `limit` levels (without recursing, whatever its depth)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return False


def metadata_within_limit(value: dict[str, Any]) -> dict[str, Any]:
    if _depth_exceeds(value, MAX_METADATA_DEPTH):
        raise InvalidValue(N_("metadata may nest at most {depth} levels deep"), {"depth": MAX_METADATA_DEPTH})
    try:
        encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        # JSON has no NaN or Infinity (nor 1e400, which Python reads as Infinity); PostgreSQL refuses them.
        raise InvalidValue(N_("metadata numbers must be finite (no NaN, Infinity or out-of-range values)")) from exc
    storable_text(encoded.replace("\\u0000", "\x00"))
    size = len(encoded.encode())
    if size > MAX_METADATA_BYTES:
        raise InvalidValue(
            N_("metadata is {size} bytes; at most {limit} are allowed"), {"size": size, "limit": MAX_METADATA_BYTES}
        )
    return value


def _as_utc(value: datetime) -> datetime:
    # A date-time without an offset is taken as UTC, as every timestamp here is.
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as exc:
        raise InvalidValue(N_("date-time is out of range once converted to UTC (years 1 to 9999)")) from exc


StorableText = Annotated[str, AfterValidator(storable_text)]
Title = Annotated[StorableText, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[StorableText, StringConstraints(max_length=20_000)]
Metadata = Annotated[dict[str, Any], AfterValidator(metadata_within_limit)]
UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


def read_metadata_field() -> Any:
    """`metadata` in JSON, read from `meta` on the ORM object (SQLAlchemy reserves `metadata`)."""
    return Field(default_factory=dict, validation_alias=AliasChoices("meta", "metadata"))


class PatchModel(BaseModel):
    """A partial update: absent fields stay as they are; `null` clears a field only where the column
    is nullable. The fields in `NOT_NULL` refuse an explicit null with a field-level 422."""

    model_config = ConfigDict(extra="forbid")
    NOT_NULL: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _refuse_null_for_required_columns(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in cls.NOT_NULL:
                if name in data and data[name] is None:
                    raise PydanticCustomError("not_nullable", "{name} cannot be null", {"name": name})
        return data
