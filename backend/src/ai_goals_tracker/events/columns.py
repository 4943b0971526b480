"""The event log's columns, written once: the archive's Parquet schema, and from it the SQL that
reads them from the events table and the columns the recorder writes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.csv as csv

ARCHIVE_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("event_type", pa.string(), nullable=False),
        pa.field("user_id", pa.string()),
        pa.field("entity_type", pa.string(), nullable=False),
        pa.field("entity_id", pa.string(), nullable=False),
        # JSON text: readers parse what they need; the schema stays stable as payloads evolve.
        pa.field("payload", pa.string(), nullable=False),
        pa.field("metadata", pa.string(), nullable=False),
        pa.field("created_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("processed_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
# An event as the log holds it: every archived column but the moment it was archived.
LOG_SCHEMA = pa.schema([field for field in ARCHIVE_SCHEMA if field.name != "processed_at"])
# What the recorder writes; PostgreSQL sets `created_at` (clock_timestamp()).
RECORDED_COLUMNS: tuple[str, ...] = tuple(name for name in LOG_SCHEMA.names if name != "created_at")

# The enum and the JSON columns are read as text, the archive's type for them.
_AS_TEXT = frozenset({"event_type", "payload", "metadata"})


def select_list(alias: str = "") -> str:
    """The LOG_SCHEMA columns of the events table (`alias.` before each when given), in order."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{name}{'::text' if name in _AS_TEXT else ''}" for name in LOG_SCHEMA.names)


def log_table(rows: Sequence[Sequence[Any]], schema: pa.Schema = LOG_SCHEMA) -> pa.Table:
    """Rows read with `select_list()` (and any columns `schema` adds after them) as an Arrow table."""
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    arrays = [pa.array(column, type=field.type) for column, field in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)


def log_table_from_csv(data: bytes, extra: Sequence[pa.Field] = ()) -> pa.Table:
    """Rows copied as CSV (`COPY (SELECT select_list(), …) TO STDOUT (FORMAT csv)`), with the
    `extra` columns after them, as an Arrow table in the log's column types."""
    schema = pa.schema([*LOG_SCHEMA, *extra])
    return csv.read_csv(
        io.BytesIO(data),
        read_options=csv.ReadOptions(column_names=schema.names),
        # JSON text may hold line breaks inside its quoted field.
        parse_options=csv.ParseOptions(newlines_in_values=True),
        convert_options=csv.ConvertOptions(
            column_types=schema,
            # COPY writes NULL unquoted and empty, and an empty string as "".
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    ).cast(schema)


def events_table(rows: Sequence[Sequence[Any]], processed_at: datetime) -> pa.Table:
    """Rows read with `select_list()`, archived at `processed_at`, in the archive's schema."""
    table = log_table(rows)
    moment = pa.array([processed_at] * table.num_rows, type=ARCHIVE_SCHEMA.field("processed_at").type)
    return table.append_column(ARCHIVE_SCHEMA.field("processed_at"), moment)
