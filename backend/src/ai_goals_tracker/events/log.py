"""The whole event log as one DuckDB relation: the Parquet archive plus the unarchived tail.

The tail is read from PostgreSQL before the archive is listed, so an event archived in between
appears in both rather than in neither; the `events` view keeps one row per event id, including
while a compaction is in flight (a month file and its parts may then share events).
"""

from __future__ import annotations

import os
from datetime import datetime
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.events import repository
from ai_goals_tracker.events.columns import LOG_SCHEMA, log_table
from ai_goals_tracker.events.store import ArchiveFile, ArchiveStore, Month

COLUMNS = ", ".join(LOG_SCHEMA.names)


async def unarchived_events(
    session: AsyncSession, *, user_id: str | None = None, since: datetime | None = None
) -> pa.Table:
    """Events PostgreSQL still holds unarchived, as an Arrow table in the archive's column types."""
    return log_table(await repository.unarchived_rows(session, user_id=user_id, since=since))


def connect(store: ArchiveStore) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that reads `store` where it lives: an s3:// archive straight from the
    object store, through the httpfs extension installed from PyPI. Nothing is downloaded at run
    time: DuckDB's own fetching of extensions is off."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    if store.scheme == "s3":
        con.execute(f"LOAD {_quoted(str(_httpfs_extension()))}")
        options = _s3_options()
        if options:
            listed = ", ".join(f"{key} {value}" for key, value in options.items())
            con.execute(f"CREATE SECRET archive_s3 (TYPE s3, {listed})")
    return con


def _httpfs_extension() -> Path:
    # The duckdb-extension-httpfs wheel ships the extension built for this very DuckDB version.
    folder = resources.files("duckdb_extension_httpfs") / "extensions" / f"v{duckdb.__version__}"
    return Path(str(folder / "httpfs.duckdb_extension"))


def _s3_options() -> dict[str, str]:
    """The standard AWS variables as a DuckDB S3 secret's options (quoted)."""
    env = os.environ
    options = {
        "KEY_ID": env.get("AWS_ACCESS_KEY_ID"),
        "SECRET": env.get("AWS_SECRET_ACCESS_KEY"),
        "SESSION_TOKEN": env.get("AWS_SESSION_TOKEN"),
        "REGION": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
    }
    quoted = {key: _quoted(value) for key, value in options.items() if value}
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        # A custom endpoint (MinIO, moto, Ceph…) is addressed by path, not by bucket host name.
        parts = urlsplit(endpoint)
        quoted |= {
            "ENDPOINT": _quoted(parts.netloc),
            "USE_SSL": "true" if parts.scheme == "https" else "false",
            "URL_STYLE": "'path'",
        }
    return quoted


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def month_filter(months: tuple[Month, Month] | None) -> str:
    """A predicate on the hive columns alone (the file list is already limited to these months)."""
    if months is None:
        return "TRUE"
    (first_year, first_month), (last_year, last_month) = months
    return f"(year * 100 + month) BETWEEN {first_year * 100 + first_month} AND {last_year * 100 + last_month}"


def open_log(
    store: ArchiveStore, tail: pa.Table, *, months: tuple[Month, Month] | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with an `events` view: archive (limited to `months`) ∪ tail, one row per id."""
    con = connect(store)
    con.register("tail_events", tail)
    listing = store.list_files()
    archived = _archive_relation(con, store, listing, months)
    if any(f.kind == "manifest" for f in listing):
        # A compaction is in flight: a month file and its parts may hold the same events.
        query = f"""
            SELECT {COLUMNS} FROM (
                SELECT {COLUMNS}, 0 AS source FROM tail_events
                UNION ALL
                SELECT {COLUMNS}, 1 AS source FROM {archived}
            )
            QUALIFY row_number() OVER (PARTITION BY id ORDER BY source) = 1
        """  # noqa: S608  (column names and paths of our own, no user input)
    else:
        # Otherwise archived files never share an event, and only the (small) tail can overlap them.
        query = f"""
            SELECT {COLUMNS} FROM tail_events
            UNION ALL
            SELECT {COLUMNS} FROM {archived} AND id NOT IN (SELECT id FROM tail_events)
        """  # noqa: S608  (column names and paths of our own, no user input)
    con.execute(f"CREATE VIEW events AS {query}")
    return con


def _archive_relation(
    con: duckdb.DuckDBPyConnection, store: ArchiveStore, listing: list[ArchiveFile], months: tuple[Month, Month] | None
) -> str:
    # The files are chosen from their paths before DuckDB sees them: it opens the first file of a
    # glob to learn the schema, which would read a month the question does not touch.
    files = [
        f.path for f in listing if f.kind in ("main", "part") and (months is None or months[0] <= f.month <= months[1])
    ]
    if not files:
        con.register("archived_events", LOG_SCHEMA.empty_table())
        return "archived_events WHERE TRUE"
    if store.is_local or store.scheme == "s3":
        listed = ", ".join(_quoted(store.url(path)) for path in sorted(files))
        # Typed explicitly: inferred from the folder names, `month=01` could come back as another type.
        return (
            f"read_parquet([{listed}], hive_partitioning = true,"
            f" hive_types = {{'year': INTEGER, 'month': INTEGER}}) WHERE {month_filter(months)}"
        )
    # Filesystems DuckDB cannot read itself go through pyarrow, with the same files.
    dataset = pads.dataset(
        sorted(files),
        filesystem=store.filesystem,
        format="parquet",
        partitioning=pads.partitioning(flavor="hive"),
        partition_base_dir=store.events_dir,
    )
    con.register("archived_events", dataset)
    return "archived_events WHERE TRUE"
