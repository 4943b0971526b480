"""Where the archive lives: hive-partitioned Parquet files under a root on any pyarrow filesystem.

Layout under the archive root (a local folder or any pyarrow filesystem URI, such as s3://):

    events/year=YYYY/month=MM/{category}_events.parquet                  the month's compacted file
    events/year=YYYY/month=MM/{category}_events.part-{min}-{max}.parquet  a batch not yet compacted
    events/year=YYYY/month=MM/_compaction.{category}.json                 a compaction in flight
    ….tmp                                                                 a file being written

Files appear whole or not at all (written under a temporary name, then renamed); what they mean
for the database is for events/archive.py and events/recovery.py to decide.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ai_goals_tracker.events.columns import ARCHIVE_SCHEMA

# Row groups of ~128k rows: big enough for columnar scans, small enough to skip by statistics.
ROW_GROUP_ROWS = 128 * 1024
COMPRESSION = "zstd"

MAIN_SUFFIX = "_events.parquet"
PART_MARKER = "_events.part-"
TEMP_SUFFIX = ".tmp"
MANIFEST_PREFIX = "_compaction."

Month = tuple[int, int]
FileKind = Literal["main", "part", "manifest", "temp"]


@dataclass(frozen=True)
class ArchiveFile:
    path: str
    month: Month
    category: str
    kind: FileKind
    first_id: str | None = None


@dataclass(frozen=True)
class ArchiveStore:
    """Where the archive lives: a pyarrow filesystem and the root path inside it.

    Object stores take their endpoint and credentials from the standard AWS variables
    (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION), as every S3 tool does.
    """

    filesystem: pafs.FileSystem
    root: str
    # "s3" for s3://bucket/prefix; "" for a local folder.
    scheme: str = ""

    @classmethod
    def open(cls, uri: str) -> ArchiveStore:
        if "://" not in uri:
            uri = str(Path(uri).expanduser().resolve())
        filesystem, path = pafs.FileSystem.from_uri(uri)
        scheme = "" if isinstance(filesystem, pafs.LocalFileSystem) else uri.split("://", 1)[0]
        return cls(filesystem, path.rstrip("/"), scheme)

    @property
    def uri(self) -> str:
        """What `open` takes to find this archive again (AIGT_ARCHIVE_URI)."""
        return self.url(self.root)

    def url(self, path: str) -> str:
        """A path of this store as other readers (DuckDB, Spark, Trino) name it."""
        return f"{self.scheme}://{path}" if self.scheme else path

    @property
    def is_local(self) -> bool:
        return isinstance(self.filesystem, pafs.LocalFileSystem)

    @property
    def events_dir(self) -> str:
        return f"{self.root}/events"

    def month_dir(self, month: Month) -> str:
        return f"{self.events_dir}/year={month[0]:04d}/month={month[1]:02d}"

    def main_path(self, month: Month, category: str) -> str:
        return f"{self.month_dir(month)}/{category}{MAIN_SUFFIX}"

    def part_path(self, month: Month, category: str, first_id: str, last_id: str) -> str:
        return f"{self.month_dir(month)}/{category}{PART_MARKER}{first_id}-{last_id}.parquet"

    def manifest_path(self, month: Month, category: str) -> str:
        return f"{self.month_dir(month)}/{MANIFEST_PREFIX}{category}.json"

    def relative(self, path: str) -> str:
        return path[len(self.root) + 1 :]

    def absolute(self, relative: str) -> str:
        return f"{self.root}/{relative}"

    def list_files(self) -> list[ArchiveFile]:
        selector = pafs.FileSelector(self.events_dir, recursive=True, allow_not_found=True)
        found = []
        for info in self.filesystem.get_file_info(selector):
            if info.type == pafs.FileType.File:
                parsed = _parse(info.path)
                if parsed is not None:
                    found.append(parsed)
        return found

    def parquet_files(self) -> list[str]:
        """Every published Parquet file (what a `**/*.parquet` glob sees)."""
        return sorted(f.path for f in self.list_files() if f.kind in ("main", "part"))

    def read_ids(self, path: str) -> list[str]:
        table = pq.read_table(path, columns=["id"], filesystem=self.filesystem)
        ids: list[str] = table.column("id").to_pylist()
        return ids

    def read(self, path: str) -> pa.Table:
        return pq.read_table(path, schema=ARCHIVE_SCHEMA, filesystem=self.filesystem)

    def exists(self, path: str) -> bool:
        return bool(self.filesystem.get_file_info(path).type == pafs.FileType.File)

    def delete(self, path: str) -> None:
        if self.exists(path):
            self.filesystem.delete_file(path)

    def write_atomically(self, table: pa.Table, path: str) -> None:
        """Publish `table` at `path` whole or not at all: write a temporary file, then rename it.

        On object stores the rename is a copy, and an object appears only once fully written.
        """
        self.filesystem.create_dir(path.rsplit("/", 1)[0], recursive=True)
        temporary = f"{path}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
        with self.filesystem.open_output_stream(temporary) as sink:
            self.make_private(temporary)
            pq.write_table(table, sink, compression=COMPRESSION, row_group_size=ROW_GROUP_ROWS)
        self.filesystem.move(temporary, path)

    def write_json_atomically(self, document: dict[str, Any], path: str) -> None:
        self.filesystem.create_dir(path.rsplit("/", 1)[0], recursive=True)
        temporary = f"{path}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
        with self.filesystem.open_output_stream(temporary) as sink:
            self.make_private(temporary)
            sink.write(json.dumps(document).encode())
        self.filesystem.move(temporary, path)

    def make_private(self, file: str) -> None:
        """A local archive holds emails and client addresses: its folders are 0700 and its files
        0600 whatever the umask (set before any row is written). Object stores have their own ACLs."""
        if not self.is_local:
            return
        os.chmod(file, 0o600)
        folder = Path(file).parent
        root = Path(self.root)
        for level in (folder, *folder.parents):
            if not level.is_relative_to(root):
                break
            os.chmod(level, 0o700)

    def read_json(self, path: str) -> dict[str, Any]:
        with self.filesystem.open_input_stream(path) as source:
            document: dict[str, Any] = json.loads(source.read())
        return document


def _parse(path: str) -> ArchiveFile | None:
    parts = path.rsplit("/", 3)
    if len(parts) != 4 or not parts[1].startswith("year=") or not parts[2].startswith("month="):
        return None
    try:
        month = (int(parts[1][5:]), int(parts[2][6:]))
    except ValueError:
        return None
    name = parts[3]
    if name.endswith(TEMP_SUFFIX):
        return ArchiveFile(path, month, "", "temp")
    if name.startswith(MANIFEST_PREFIX) and name.endswith(".json"):
        return ArchiveFile(path, month, name[len(MANIFEST_PREFIX) : -len(".json")], "manifest")
    if name.endswith(MAIN_SUFFIX) and PART_MARKER not in name:
        return ArchiveFile(path, month, name[: -len(MAIN_SUFFIX)], "main")
    if PART_MARKER in name and name.endswith(".parquet"):
        category, rest = name.split(PART_MARKER, 1)
        return ArchiveFile(path, month, category, "part", first_id=rest.split("-", 1)[0])
    return None


def month_of(moment: datetime) -> Month:
    utc = moment.astimezone(UTC)
    return (utc.year, utc.month)


def current_month() -> Month:
    return month_of(datetime.now(UTC))


def deduplicate(table: pa.Table) -> pa.Table:
    """One row per event id (a crash can leave the same event in a compacted file and a part)."""
    if table.num_rows < 2:
        return table
    table = table.sort_by("id")
    ids = table.column("id").combine_chunks()
    previous = pa.concat_arrays([pa.array([None], pa.string()), ids.slice(0, len(ids) - 1)])
    keep = pc.fill_null(pc.not_equal(ids, previous), True)
    return table.filter(keep)
